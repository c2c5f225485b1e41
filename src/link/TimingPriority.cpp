#include "link/TimingPriority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

namespace pigeon::link {

namespace {
constexpr int kTimingPriority = 1;  // the lowest SCHED_FIFO one
}  // namespace

bool raiseToTimingPriority() noexcept {
  const sched_param priority{kTimingPriority};
  const bool realtime = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &priority) == 0;
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  return realtime;
}

}  // namespace pigeon::link
