#pragma once

#include "lab/LabLink.h"
#include "lab/NetnsScope.h"
#include "metrics/TransportResult.h"

#include <Poco/Net/SocketAddress.h>

#include <string>

namespace pigeon::bench {

// The lab link of a `bench --lab` run: the receiving side (sink or echo)
// makes its sockets in the far namespace, the sender in the near one, so
// udp, tcp and rudp all cross the same emulated link. The sockets are made
// by the bench's own thread while it is inside the namespace (setns of
// CLONE_NEWNET is per thread, and a socket stays in the namespace it was
// made in), so sink and sender stay in this process and share its clock.
// Throws lab::LabUnavailable where a lab cannot be built. Not thread safe.
class LabPath {
 public:
  explicit LabPath(const std::string& spec, lab::Engine engine = lab::Engine::kTun);

  // Where the receiving side listens: the far address, a kernel-chosen port.
  Poco::Net::SocketAddress farAddress() const;

  template <class F>
  auto inFar(F make) {
    lab::NetnsScope inside(lab_.farNamespaceFd());
    return make();
  }
  template <class F>
  auto inNear(F make) {
    lab::NetnsScope inside(lab_.nearNamespaceFd());
    return make();
  }

  // Zeroes the emulator's counters before the next transport's run.
  void reset();
  // The emulator's counters since reset(), per direction (lab_up_*,
  // lab_down_*), and the TUN devices' own queue drops.
  void addFacts(metrics::TransportResult& result);

  const lab::LabLink& link() const { return lab_; }

 private:
  lab::LabLink lab_;
  std::uint64_t deviceDropsAtReset_ = 0;
};

}  // namespace pigeon::bench
