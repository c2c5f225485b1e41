#pragma once

namespace pigeon::transport::rudp {

// A self-pipe to wake a thread blocked in poll(2): one side notify()s, the
// poller watches readFd() and drain()s it. Non-blocking both ends; notify()
// is safe from any thread. Non-copyable; throws std::system_error if the
// pipe cannot be made.
class WakeupPipe {
 public:
  WakeupPipe();
  ~WakeupPipe();
  WakeupPipe(const WakeupPipe&) = delete;
  WakeupPipe& operator=(const WakeupPipe&) = delete;

  void notify();
  void drain();
  int readFd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

}  // namespace pigeon::transport::rudp
