#include "app/InterruptFlag.h"

namespace pigeon::app {

namespace {
// Lock-free, so the handler may store to it (checked below).
std::atomic<bool> gRaised{false};
std::atomic<int> gSignal{0};
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void onTermination(int signal) {
  gSignal.store(signal);
  gRaised.store(true);
}
}  // namespace

InterruptFlag::InterruptFlag() {
  gRaised = false;
  gSignal = 0;
  struct sigaction action {};
  action.sa_handler = onTermination;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | SA_RESETHAND;
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
