#pragma once

#include "transport/Transport.h"

#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <algorithm>

namespace pigeon::transport {

// Calls `receiveOnce(wait)` until it yields something other than kTimeout or
// `timeout` has passed, so that a receive() returning kTimeout means nothing
// came in time, even when one read brought only part of a frame or a
// stranger's datagram.
template <class ReceiveOnce>
Incoming receiveUntil(Poco::Timespan timeout, ReceiveOnce receiveOnce) {
  const Poco::Timestamp start;
  for (;;) {
    // Never a negative wait: Poco's poll() takes that as "forever".
    const Poco::Timespan left =
        std::max<Poco::Timespan::TimeDiff>(0, timeout.totalMicroseconds() - start.elapsed());
    Incoming in = receiveOnce(left);
    if (in.kind != Incoming::Kind::kTimeout || start.isElapsed(timeout.totalMicroseconds())) {
      return in;
    }
  }
}

}  // namespace pigeon::transport
