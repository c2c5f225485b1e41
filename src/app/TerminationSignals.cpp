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
        for (;;) {
          const int signal = signals_.wait();
          if (done_) return;  // the destructor's wake-up, or too late to matter
          onSignal_(signal);
        }
      }) {}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  // A signal to the watcher's thread alone wakes its wait at once, so a
  // command ends the moment its work does (a timed wait made `receive
  // --once` linger up to 200 ms). Blocked there, it is taken by that wait
  // and never reaches the process.
  pthread_kill(watcher_.native_handle(), SIGTERM);
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
