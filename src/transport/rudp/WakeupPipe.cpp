#include "transport/rudp/WakeupPipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace pigeon::transport::rudp {

WakeupPipe::WakeupPipe() {
  if (::pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "rudp wakeup pipe");
  }
}

WakeupPipe::~WakeupPipe() {
  ::close(fds_[0]);
  ::close(fds_[1]);
}

void WakeupPipe::notify() {
  const char byte = 1;
  // A full pipe already wakes the poller: nothing lost if this fails.
  [[maybe_unused]] const auto n = ::write(fds_[1], &byte, 1);
}

void WakeupPipe::drain() {
  char buffer[64];
  while (::read(fds_[0], buffer, sizeof buffer) > 0) {
  }
}

}  // namespace pigeon::transport::rudp
