#pragma once

#include <atomic>
#include <csignal>

namespace pigeon::app {

// For a command that should finish its work in an orderly way on Ctrl-C
// (bench prints and writes what it measured): while one exists, the first
// SIGINT or SIGTERM raises a flag the work polls, and a second one ends the
// process at once, as the default action would. A repeat within
// kRepeatWindowNs of the first is the same request, not a second: timeout(1)
// signals its child and then its whole process group, so a bench under it
// gets SIGTERM twice in a row, and was killed with its output unwritten.
// System calls are restarted (SA_RESTART), so no thread sees EINTR. One at
// a time.
class InterruptFlag {
 public:
  static constexpr long long kRepeatWindowNs = 1'000'000'000;

  InterruptFlag();
  ~InterruptFlag();  // the previous handlers back
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;

  const std::atomic<bool>& raised() const;
  // The signal that raised the flag (SIGINT or SIGTERM), 0 before one came.
  int signal() const;

 private:
  struct sigaction previousInt_ {};
  struct sigaction previousTerm_ {};
};

}  // namespace pigeon::app
