#pragma once

#include "filexfer/FileReceiver.h"
#include "transport/Transport.h"

#include <Poco/Timespan.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

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
  // Where messages can be lost: serve one sender after another (the
  // receiver without --once), on one session reused for every file. After
  // a verdict the transport forgets its sender, so the next one may speak,
  // and what still comes from it for kLeftoverNs (the other copies of its
  // offer and end marker, chunks sent before it heard a refusal) is not a
  // new file: an offer or end marker is answered with the verdict again,
  // the rest dropped.
  bool oneSenderAfterAnother = false;
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

  std::uint64_t malformed() const { return malformed_; }  // in the last run
  void setProgress(std::function<void(const FileReceiver&)> progress) {
    options_.progress = std::move(progress);
  }

  static constexpr std::int64_t kLeftoverNs = 2'000'000'000;

 private:
  struct Served {  // the sender of the last verdict, over a lossy transport
    Poco::Net::SocketAddress from;
    wire::Header header;
    wire::Bytes verdict;
    std::int64_t untilNs = 0;
  };

  void showProgress(const FileReceiver& receiver, bool now);
  // True when `in` came from the last sender served: dealt with here.
  bool leftover(transport::Transport& transport, const transport::Incoming& in, std::int64_t nowNs);
  // False once the transfer is over (end marker on a reliable transport,
  // the peer gone, the receiver failed).
  bool handle(transport::Transport& transport, FileReceiver& receiver,
              const transport::Incoming& in);

  ReceiveOptions options_;
  std::uint64_t malformed_ = 0;
  bool closed_ = false;
  std::string goneWhy_;  // what the transport said when the connection died
  std::int64_t lastProgressNs_ = 0;
  std::optional<Served> served_;
};

}  // namespace pigeon::filexfer
