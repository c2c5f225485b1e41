#include "transport/EventSet.h"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace pigeon::transport {

EventSet::EventSet() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EventSet::~EventSet() { ::close(fd_); }

void EventSet::add(int fd, std::uint32_t events, std::uint64_t tag) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = tag;
  if (::epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl add");
  }
}

void EventSet::modify(int fd, std::uint32_t events, std::uint64_t tag) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = tag;
  ::epoll_ctl(fd_, EPOLL_CTL_MOD, fd, &event);
}

void EventSet::remove(int fd) { ::epoll_ctl(fd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventSet::wait(std::vector<epoll_event>& out, int max, int timeoutMs) {
  out.resize(static_cast<std::size_t>(max));
  const int n = ::epoll_wait(fd_, out.data(), max, timeoutMs);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace pigeon::transport
