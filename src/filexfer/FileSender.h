#pragma once

#include "filexfer/FileOffer.h"
#include "transport/Transport.h"

#include <Poco/Timespan.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace pigeon::filexfer {

// What `pigeon send` asks for.
struct SendOptions {
  std::size_t chunkBytes = 0;     // 0: kDefaultChunkBytes, capped at the transport's maxPayload()
  double rateBytesPerSecond = 0;  // 0: as fast as the transport takes them
  Poco::Timespan verdictTimeout = Poco::Timespan(10, 0);
  // Called now and then with the bytes sent so far and the file's size.
  std::function<void(std::uint64_t sentBytes, std::uint64_t totalBytes)> progress;
};

inline constexpr std::size_t kDefaultChunkBytes = 32 * 1024;

struct SendResult {
  FileOffer offer;
  std::uint64_t chunksSent = 0;
  double seconds = 0;              // from the offer to the verdict (or giving up)
  std::optional<Verdict> verdict;  // nullopt: the receiver never said
};

// Sends one file over `transport`: offer, chunks, end marker, then waits for
// the receiver's verdict. Where the transport may lose messages
// (traits().reliable false) the offer and the end marker go three times, so
// one lost datagram does not lose the whole report. Throws
// std::runtime_error for a file it cannot read, TransportError for the
// network.
class FileSender {
 public:
  explicit FileSender(SendOptions options) : options_(std::move(options)) {}

  SendResult send(transport::Transport& transport, const std::string& path);

 private:
  std::optional<Verdict> pollVerdict(transport::Transport& transport, Poco::Timespan timeout);

  SendOptions options_;
};

}  // namespace pigeon::filexfer
