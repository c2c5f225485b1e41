// transport::EventSet, the epoll set under the room's TCP server and the TCP
// echo: the caller's tag comes back with each ready socket, and what it
// watches can be changed and removed.

#include "transport/EventSet.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <vector>

using pigeon::transport::EventSet;

namespace {

struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM, 0, fd); }
  ~SocketPair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
};

}  // namespace

TEST(EventSet, TellsWhichSocketIsReadyByItsTag) {
  EventSet set;
  SocketPair a;
  SocketPair b;
  set.add(a.fd[0], EPOLLIN, 7);
  set.add(b.fd[0], EPOLLIN, 9);
  std::vector<epoll_event> ready;
  set.wait(ready, 16, 0);
  EXPECT_TRUE(ready.empty());
  ASSERT_EQ(::write(b.fd[1], "x", 1), 1);
  set.wait(ready, 16, 1000);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].data.u64, 9u);
  EXPECT_NE(ready[0].events & EPOLLIN, 0u);
}

TEST(EventSet, WatchesWhatItIsToldAndForgetsARemovedSocket) {
  EventSet set;
  SocketPair a;
  set.add(a.fd[0], 0, 1);  // nothing watched: a writable socket is not reported
  std::vector<epoll_event> ready;
  set.wait(ready, 16, 0);
  EXPECT_TRUE(ready.empty());
  set.modify(a.fd[0], EPOLLOUT, 2);
  set.wait(ready, 16, 1000);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].data.u64, 2u);
  set.remove(a.fd[0]);
  set.wait(ready, 16, 0);
  EXPECT_TRUE(ready.empty());
}
