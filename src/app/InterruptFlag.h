#pragma once

#include <atomic>
#include <csignal>

namespace pigeon::app {

// For a command that should finish its work in an orderly way on Ctrl-C
// (bench prints and writes what it measured): while one exists, the first
// SIGINT or SIGTERM raises a flag the work polls, and the handler is reset
// to the default, so a second Ctrl-C ends the process at once. System calls
// are restarted (SA_RESTART), so no thread sees EINTR. One at a time.
class InterruptFlag {
 public:
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
