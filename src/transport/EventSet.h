#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <vector>

namespace pigeon::transport {

// One epoll(7) set: the sockets a server watches (the room's TCP server,
// the TCP echo), each tagged with a number of the caller's. Level-triggered.
// Owns the epoll descriptor, not the sockets. Not thread safe.
class EventSet {
 public:
  EventSet();  // throws std::system_error
  ~EventSet();
  EventSet(const EventSet&) = delete;
  EventSet& operator=(const EventSet&) = delete;

  void add(int fd, std::uint32_t events, std::uint64_t tag);
  void modify(int fd, std::uint32_t events, std::uint64_t tag);
  void remove(int fd);

  // Waits up to `timeoutMs` (0: only looks); the events ready, at most
  // `max`, in `out` (cleared first).
  void wait(std::vector<epoll_event>& out, int max, int timeoutMs);

 private:
  int fd_ = -1;
};

}  // namespace pigeon::transport
