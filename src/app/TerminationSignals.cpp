#include "app/TerminationSignals.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cstdlib>
#include <utility>

namespace pigeon::app {

namespace {
sigset_t terminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGQUIT);
  return set;
}
}  // namespace

TerminationSignals::TerminationSignals() {
  const sigset_t set = terminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

TerminationSignals::~TerminationSignals() {
  const sigset_t set = terminationSet();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

int TerminationSignals::wait() {
  const sigset_t set = terminationSet();
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  return signal;
}

int TerminationSignals::waitFor(long timeoutMs) {
  const sigset_t set = terminationSet();
  const timespec timeout{timeoutMs / 1000, (timeoutMs % 1000) * 1'000'000};
  const int signal = sigtimedwait(&set, nullptr, &timeout);
  return signal > 0 ? signal : 0;
}

SignalWatcher::SignalWatcher(std::function<void(int)> onSignal)
    : onSignal_(std::move(onSignal)), watcher_([this] {
        // Woken every 100 ms to see whether it is done: sigtimedwait cannot
        // be interrupted by another thread without a signal of its own.
        while (!done_) {
          if (const int signal = signals_.waitFor(100); signal != 0) onSignal_(signal);
        }
      }) {}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  watcher_.join();
}

void SignalWatcher::endAsTheDefaultWould(int signal) {
  ::signal(signal, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signal);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  ::raise(signal);  // to this thread, where it is no longer blocked
  std::_Exit(128 + signal);
}

}  // namespace pigeon::app
