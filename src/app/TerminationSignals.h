#pragma once

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

}  // namespace pigeon::app
