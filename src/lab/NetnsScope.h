#pragma once

namespace pigeon::lab {

// Moves the calling thread into a network namespace for the scope, and
// back when it ends. setns(CLONE_NEWNET) changes the calling thread only,
// and a socket or TUN device belongs for good to the namespace that was
// current when it was created: so sockets made inside the scope live in
// that namespace, and the rest of the process is not affected.
// Non-copyable; not meant to cross threads.
class NetnsScope {
 public:
  // `namespaceFd`: an open /run/netns/NAME (or /proc/PID/ns/net). Throws
  // std::system_error if the thread cannot enter it.
  explicit NetnsScope(int namespaceFd);
  ~NetnsScope();  // returns to the previous namespace
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  int previousFd_ = -1;
};

}  // namespace pigeon::lab
