#include "filexfer/FileSender.h"

#include "filexfer/FileName.h"
#include "filexfer/Sha256.h"
#include "transport/TransportError.h"
#include "wire/Clock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace pigeon::filexfer {

namespace {

constexpr int kControlCopiesOnLossyTransport = 3;
constexpr std::uint64_t kVerdictPollEveryChunks = 64;
// And at least this often, for a slow (paced, or slow-linked) transfer: a
// receiver that stopped waits for us to hear it (64 chunks at 0.2 MB/s were
// ten seconds).
constexpr std::chrono::milliseconds kVerdictPollEvery{100};

class FileHandle {
 public:
  explicit FileHandle(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
  }
  ~FileHandle() { ::close(fd_); }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

void readExactly(int fd, std::uint8_t* out, std::size_t length, const std::string& path) {
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::read(fd, out + done, length - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
    if (n == 0) throw std::runtime_error("'" + path + "' shrank while it was being sent");
    done += static_cast<std::size_t>(n);
  }
}

wire::Header fileHeader(wire::MessageType type, std::uint64_t sequence) {
  wire::Header header;
  header.type = type;
  header.streamId = kFileStreamId;
  header.sequence = sequence;
  header.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
  return header;
}

}  // namespace

std::size_t rudpBytesInFlight(std::optional<std::size_t> receiveBufferCeilingBytes) {
  return std::clamp(receiveBufferCeilingBytes.value_or(kRudpMinBytesInFlight),
                    kRudpMinBytesInFlight, kRudpMaxBytesInFlight);
}

transport::rudp::RudpOptions rudpOptionsForFile(
    std::size_t chunkBytes, std::optional<std::uint32_t> windowChunks,
    transport::rudp::ArqScheme arq, std::optional<std::size_t> receiveBufferCeilingBytes) {
  transport::rudp::RudpOptions options;
  options.arq = arq;
  const std::size_t chunk = chunkBytes == 0 ? kDefaultChunkBytes : chunkBytes;
  const std::size_t fits = rudpBytesInFlight(receiveBufferCeilingBytes) / chunk;
  const std::uint32_t most = options.sendWindowMessages;  // rudp's own default
  options.sendWindowMessages =
      windowChunks.value_or(static_cast<std::uint32_t>(std::clamp<std::size_t>(fits, 1, most)));
  options.minRtoMs = kFileMinRtoMs;
  return options;
}

double FileSender::secondsSinceOffer() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::optional<ReceiverReport> FileSender::pollVerdict(transport::Transport& transport,
                                                      Poco::Timespan timeout) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(timeout.totalMicroseconds());
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    // In slices, so that a Ctrl-C while the verdict is awaited is seen.
    const auto slice = std::min<std::int64_t>(std::max<std::int64_t>(left.count(), 0),
                                              kVerdictPollEvery.count() * 1000);
    const transport::Incoming in = transport.receive(Poco::Timespan(slice));
    if (in.kind == transport::Incoming::Kind::kMessage &&
        in.header.type == wire::MessageType::kReport && in.header.streamId == kFileStreamId) {
      if (auto report = decodeReport(in.payload)) return report;
    }
    if (in.kind == transport::Incoming::Kind::kClosed) return std::nullopt;
    if (options_.interrupted && *options_.interrupted != 0) return std::nullopt;
    if (left.count() <= slice) return std::nullopt;
  }
}

SendResult FileSender::send(transport::Transport& transport, const std::string& path) {
  SendResult result;
  try {
    sendFile(transport, path, result);
  } catch (const transport::TransportError& e) {
    // Over udp a receiver that judged the file early (a refusal, a failed
    // write, Ctrl-C) sends its verdict and may exit; the next datagram sent
    // meets the ICMP port unreachable that its exit left, and send(2)
    // reports that ahead of the verdict still queued here. Read it.
    if (e.code() != transport::TransportError::Code::kConnectionRefused ||
        transport.traits().reliable) {
      throw;
    }
    const auto report = pollVerdict(transport, Poco::Timespan(0, 50'000));
    if (!report) throw;
    result.verdict = report->verdict;
    result.reason = report->reason;
    result.seconds = secondsSinceOffer();
  }
  return result;
}

void FileSender::sendFile(transport::Transport& transport, const std::string& path,
                          SendResult& result) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) throw std::runtime_error("'" + path + "' is not a regular file");
  FileOffer& offer = result.offer;
  const auto slash = path.find_last_of('/');
  offer.name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (const auto problem = fileNameProblem(offer.name)) {
    throw std::runtime_error("cannot send '" + path + "': " + *problem);
  }
  offer.sizeBytes = static_cast<std::uint64_t>(info.st_size);
  std::size_t chunk = options_.chunkBytes == 0 ? kDefaultChunkBytes : options_.chunkBytes;
  chunk = std::min(chunk, transport.maxPayload());
  if (chunk < kMinChunkBytes || chunk > kMaxChunkBytes) {
    throw std::runtime_error("chunk size " + std::to_string(chunk) + " outside " +
                             std::to_string(kMinChunkBytes) + ".." +
                             std::to_string(kMaxChunkBytes));
  }
  offer.chunkBytes = static_cast<std::uint32_t>(chunk);
  if (offer.sizeBytes > kMaxFileBytes || offer.chunkCount() > kMaxChunks) {
    throw std::runtime_error("'" + path + "' is too large for " + std::to_string(chunk) +
                             "-byte chunks (at most " + std::to_string(kMaxChunks) +
                             " chunks; try a larger --chunk)");
  }
  // Over a reliable transport the digest follows the chunks
  // (FileOffer::announcesDigestTrailer): the file is read once, hashed as it
  // is sent, instead of hashed in a pass of its own before the offer (about
  // 1 s per GiB on the build machine). Where messages can be lost, the
  // offer (sent three times) carries it, so the receiver can judge the file
  // however many end-of-file datagrams the link drops, and every data
  // datagram lost is a chunk it lists.
  const bool lossy = !transport.traits().reliable;
  std::optional<Sha256> hash;
  if (lossy) {
    offer.sha256 = Sha256::ofFile(path);
  } else {
    offer.sha256 = Sha256Digest{};
    hash.emplace();
  }
  const int copies = lossy ? kControlCopiesOnLossyTransport : 1;
  start_ = std::chrono::steady_clock::now();
  const wire::Bytes offerBytes = encodeOffer(offer);
  for (int i = 0; i < copies; ++i) {
    transport.sendMessage(fileHeader(wire::MessageType::kFileOffer, 0), offerBytes);
  }

  FileHandle file(path);
  std::vector<std::uint8_t> buffer(chunk);
  std::uint64_t sentBytes = 0;
  auto lastPoll = start_;
  const std::uint64_t count = offer.chunkCount();
  for (std::uint64_t i = 0; i < count; ++i) {
    if (options_.interrupted && *options_.interrupted != 0) {
      result.interrupted = true;
      result.seconds = secondsSinceOffer();
      return;
    }
    const std::size_t length = offer.chunkLength(i);
    readExactly(file.fd(), buffer.data(), length, path);
    if (hash) hash->update(wire::ByteSpan(buffer.data(), length));
    if (options_.rateBytesPerSecond > 0) {
      // Paced by schedule, not by sleeping a fixed gap, so the rate holds
      // whatever each send costs.
      const auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(static_cast<double>(sentBytes) /
                                                                  options_.rateBytesPerSecond));
      std::this_thread::sleep_until(due);
    }
    transport.sendMessage(fileHeader(wire::MessageType::kData, i),
                          wire::ByteSpan(buffer.data(), length));
    sentBytes += length;
    ++result.chunksSent;
    const auto now = std::chrono::steady_clock::now();
    if ((i + 1) % kVerdictPollEveryChunks == 0 || now - lastPoll >= kVerdictPollEvery) {
      lastPoll = now;
      if (options_.progress) options_.progress(sentBytes, offer.sizeBytes);
      // A receiver that refused or failed says so at once; stop sending.
      if (auto early = pollVerdict(transport, Poco::Timespan(0))) {
        result.verdict = early->verdict;
        result.reason = early->reason;
        result.seconds = secondsSinceOffer();
        return;
      }
    }
  }
  if (options_.progress) options_.progress(sentBytes, offer.sizeBytes);
  if (hash) {
    offer.sha256 = hash->finish();  // the trailer, and the sender's own report
    transport.sendMessage(fileHeader(wire::MessageType::kData, count),
                          wire::ByteSpan(offer.sha256.data(), offer.sha256.size()));
  }
  const wire::Bytes countBytes = encodeU64(result.chunksSent);
  for (int i = 0; i < copies; ++i) {
    transport.sendMessage(fileHeader(wire::MessageType::kBye, result.chunksSent), countBytes);
  }
  if (auto report = pollVerdict(transport, options_.verdictTimeout)) {
    result.verdict = report->verdict;
    result.reason = report->reason;
  } else if (options_.interrupted && *options_.interrupted != 0) {
    result.interrupted = true;
    result.allSent = true;
  }
  result.seconds = secondsSinceOffer();
}

}  // namespace pigeon::filexfer
