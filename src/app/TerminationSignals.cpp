#include "app/TerminationSignals.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

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
        const sigset_t set = terminationSet();
        for (;;) {
          siginfo_t info{};
          const int signal = sigwaitinfo(&set, &info);
          if (signal <= 0) continue;  // EINTR
          // The destructor's wake-up comes from this process (si_code is
          // SI_USER or SI_TKILL, by kernel); a real one, even while ending,
          // from another (a terminal's Ctrl-C: the kernel, si_pid 0).
          if (done_ && info.si_pid == ::getpid()) return;
          onSignal_(signal);
        }
      }) {}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  // Wakes the watcher's wait at once, so that a command ends the moment its
  // work does (a timed wait made `receive --once` linger up to 200 ms).
  // Blocked in that thread, the signal is taken by that wait, never by the
  // process. A real one that comes after the watcher has gone stays pending
  // until ~TerminationSignals unblocks it: its default action, as before.
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

void Interrupts::onSignal(int signal) {
  // A second one ends it too: whatever winds down may itself be stuck (a
  // send blocked on a peer that stopped reading).
  if (!underWay_ || signal == SIGQUIT || raised_ != 0) SignalWatcher::endAsTheDefaultWould(signal);
  raised_ = signal;
}

}  // namespace pigeon::app
