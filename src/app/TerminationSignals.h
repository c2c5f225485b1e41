#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace pigeon::app {

// For servers that run until Ctrl-C or `kill`, as Poco's ServerApplication
// does: construct this before starting any thread (so every thread inherits
// the blocked SIGINT/SIGTERM/SIGQUIT), then wait() on the main thread, which
// returns when one of them arrives. The destructor unblocks them.
class TerminationSignals {
 public:
  TerminationSignals();
  ~TerminationSignals();
  TerminationSignals(const TerminationSignals&) = delete;
  TerminationSignals& operator=(const TerminationSignals&) = delete;

  // Returns the signal that arrived.
  int wait();

  // Waits up to `timeoutMs`; the signal that arrived, or 0.
  int waitFor(long timeoutMs);
};

// For commands that keep working while a signal is handled: blocks the
// termination signals (construct it before any other thread starts) and
// hands each one that arrives to `onSignal`, on a thread of its own. No
// handler is installed, so no signal lands in a thread that is busy: under
// TSan a handler runs late, at TSan's next safe point in whichever thread
// took the signal, and CI failed twice on that (a Ctrl-C never seen by a
// bench; a chat's handler, run on rudp's thread, "spoils errno").
class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int)> onSignal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Ends this process as `signal`'s default action would (for a signal that
  // came before there was anything to wind down). Call on the watcher's
  // thread, from `onSignal`.
  [[noreturn]] static void endAsTheDefaultWould(int signal);

 private:
  TerminationSignals signals_;  // first: the thread below starts with them blocked
  const std::function<void(int)> onSignal_;
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

// For a command with something to wind down once it is under way (a chat
// tells its peer, a send closes its connection): a termination signal
// before underWay() ends the process as the signal's default action would,
// as there is nothing to tell anyone yet (a connect or a listen may be
// blocking); after it, the first is only noted in raised() for the
// command's loop to see, and a second ends the process. SIGQUIT (Ctrl-\ on
// a terminal) keeps its default action throughout. Construct it before any
// other thread starts.
class Interrupts {
 public:
  Interrupts() : watcher_([this](int signal) { onSignal(signal); }) {}
  void underWay() { underWay_ = true; }
  // The signal that came once under way, or 0.
  const std::atomic<int>& raised() const { return raised_; }

 private:
  void onSignal(int signal);

  std::atomic<bool> underWay_{false};
  std::atomic<int> raised_{0};
  SignalWatcher watcher_;  // last: it calls onSignal
};

}  // namespace pigeon::app
