#include "app/InterruptFlag.h"

#include <time.h>

namespace pigeon::app {

namespace {
// Lock-free, so the handler may store to it (checked below).
std::atomic<bool> gRaised{false};
std::atomic<int> gSignal{0};
std::atomic<long long> gFirstNs{0};
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<long long>::is_always_lock_free);

long long monotonicNs() {  // clock_gettime is async-signal-safe
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

extern "C" void onTermination(int signal) {
  const long long now = monotonicNs();
  if (!gRaised.load()) {
    gFirstNs.store(now);
    gSignal.store(signal);
    gRaised.store(true);
    return;
  }
  if (now - gFirstNs.load() < InterruptFlag::kRepeatWindowNs) return;  // the same request
  std::signal(signal, SIG_DFL);  // a second request: what the default would have done
  std::raise(signal);
}
}  // namespace

InterruptFlag::InterruptFlag() {
  gRaised = false;
  gSignal = 0;
  struct sigaction action {};
  action.sa_handler = onTermination;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previousInt_);
  sigaction(SIGTERM, &action, &previousTerm_);
}

InterruptFlag::~InterruptFlag() {
  sigaction(SIGINT, &previousInt_, nullptr);
  sigaction(SIGTERM, &previousTerm_, nullptr);
}

const std::atomic<bool>& InterruptFlag::raised() const { return gRaised; }

int InterruptFlag::signal() const { return gSignal.load(); }

}  // namespace pigeon::app
