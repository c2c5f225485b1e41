#include "lab/NetnsScope.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace pigeon::lab {

NetnsScope::NetnsScope(int namespaceFd) {
  // thread-self, not self: /proc/self names the main thread's namespace.
  previousFd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (previousFd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "open /proc/thread-self/ns/net");
  }
  if (::setns(namespaceFd, CLONE_NEWNET) != 0) {
    const int error = errno;
    ::close(previousFd_);
    throw std::system_error(error, std::generic_category(), "setns into the lab's namespace");
  }
}

NetnsScope::~NetnsScope() {
  // A thread left in the lab's namespace would create its later sockets
  // there: not recoverable, so not ignored.
  if (::setns(previousFd_, CLONE_NEWNET) != 0) std::abort();
  ::close(previousFd_);
}

}  // namespace pigeon::lab
