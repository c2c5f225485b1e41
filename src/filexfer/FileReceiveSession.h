#pragma once

#include "filexfer/FileReceiver.h"
#include "transport/Transport.h"

#include <Poco/Timespan.h>

#include <atomic>
#include <functional>

namespace pigeon::filexfer {

struct ReceiveOptions {
  // Where messages can be lost: give up this long after the last frame of
  // the file (the end marker itself may be lost), and after an end marker
  // with chunks still missing wait this long for stragglers the network
  // reordered.
  Poco::Timespan idleTimeout = Poco::Timespan(3, 0);
  Poco::Timespan settleAfterEnd = Poco::Timespan(0, 200'000);
  // Called now and then while chunks arrive.
  std::function<void(const FileReceiver&)> progress;
};

// Drives a FileReceiver from one transport: the network loop of `pigeon
// receive`. Waits for an offer until `stop`; returns once the file is
// stored or discarded, after telling the sender the verdict (three times
// where messages can be lost).
class FileReceiveSession {
 public:
  explicit FileReceiveSession(ReceiveOptions options) : options_(std::move(options)) {}

  FileReceiver::Outcome run(transport::Transport& transport, FileReceiver& receiver,
                            const std::atomic<bool>& stop);

  std::uint64_t malformed() const { return malformed_; }

 private:
  // False once the transfer is over (end marker on a reliable transport,
  // the peer gone, the receiver failed).
  bool handle(transport::Transport& transport, FileReceiver& receiver,
              const transport::Incoming& in);

  ReceiveOptions options_;
  std::uint64_t malformed_ = 0;
  bool closed_ = false;
};

}  // namespace pigeon::filexfer
