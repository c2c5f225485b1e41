// BenchSink and BenchSender over UDP, where both take the batched path
// (recvmmsg/sendmmsg): the counts must stay exact.

#include "bench/BenchSender.h"
#include "bench/BenchSettings.h"
#include "bench/BenchSink.h"
#include "transport/TransportFactory.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <Poco/Net/DatagramSocket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace pigeon;
using bench::BenchSink;
using Poco::Net::DatagramSocket;
using Poco::Net::SocketAddress;
using Clock = std::chrono::steady_clock;

namespace {

const SocketAddress kLoopback("127.0.0.1", 0);
constexpr std::uint32_t kStream = 1;

BenchSink::Options sinkOptions(int receiveBufferBytes = 1 << 20) {
  BenchSink::Options o;
  o.transportName = "udp";
  o.sizeBytes = 64;
  o.expectedStreams = 1;
  o.drainNs = 20'000'000;
  o.receiveBufferBytes = receiveBufferBytes;
  return o;
}

wire::Bytes dataFrame(std::uint64_t sequence, std::uint16_t flags = 0) {
  wire::Header h;
  h.type = wire::MessageType::kData;
  h.flags = flags;
  h.streamId = kStream;
  h.sequence = sequence;
  h.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
  return wire::encode(h, wire::Bytes(64 - wire::kHeaderSize, 0x5A));
}

wire::Bytes reportFrame(std::uint64_t sent) {
  wire::Header h;
  h.type = wire::MessageType::kReport;
  h.streamId = kStream;
  h.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
  return wire::encode(h, bench::encodeCount(sent));
}

// A plain socket standing in for the sender, so the test picks every
// sequence number.
class RawSender {
 public:
  explicit RawSender(SocketAddress to) : socket_(kLoopback.family()), to_(to) {
    socket_.bind(kLoopback);
  }
  void send(const wire::Bytes& datagram) {
    socket_.sendTo(datagram.data(), static_cast<int>(datagram.size()), to_);
  }
  // The count in the next report the sink answers with, if one comes within
  // `waitUs`.
  std::optional<std::uint64_t> ack(long waitUs) {
    if (!socket_.poll(Poco::Timespan(0, waitUs), Poco::Net::Socket::SELECT_READ)) {
      return std::nullopt;
    }
    std::uint8_t buffer[2048];
    SocketAddress from;
    const int n = socket_.receiveFrom(buffer, sizeof buffer, from);
    const auto decoded = wire::decodeDatagram({buffer, static_cast<std::size_t>(n)});
    if (!decoded.ok() || decoded.frame.header.type != wire::MessageType::kReport) {
      return std::nullopt;
    }
    return bench::decodeCount(decoded.frame.payload);
  }

 private:
  DatagramSocket socket_;
  SocketAddress to_;
};

}  // namespace

TEST(BenchSinkBatched, CountsLossDuplicatesAndReorderingExactly) {
  BenchSink sink(transport::listenOn(transport::TransportKind::kUdp, kLoopback), sinkOptions());
  RawSender sender(sink.localAddress());
  // Arrivals 0,1,3,2,2,5 of 7 sent, a broken frame among them, then the
  // report: all queued before the sink reads, so they come in one batch.
  for (std::uint64_t s : {0, 1, 3}) sender.send(dataFrame(s));
  wire::Bytes broken = dataFrame(4);
  broken[7] = 1;  // reserved
  sender.send(broken);
  for (std::uint64_t s : {2, 2, 5}) sender.send(dataFrame(s));
  sender.send(reportFrame(7));

  std::atomic<bool> stop{false};
  std::thread running([&] { sink.run(stop); });
  const auto acked = sender.ack(3'000'000);
  if (!acked) stop = true;
  running.join();  // ends drainNs after the report

  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(*acked, 5u);  // delivered when the report came
  ASSERT_EQ(sink.reportedSent(kStream), 7u);
  auto& stats = sink.stream(kStream);
  stats.finish(*sink.reportedSent(kStream));
  EXPECT_EQ(stats.arrivals(), 6u);
  EXPECT_EQ(stats.delivered(), 5u);
  EXPECT_EQ(stats.lost(), 2u);
  EXPECT_EQ(stats.duplicates(), 1u);
  EXPECT_EQ(stats.reordered(), 1u);
  EXPECT_EQ(stats.reorderExtent(), 1u);
  EXPECT_EQ(sink.malformed(), 1u);
  EXPECT_EQ(sink.socketDrops(), 0u);
}

TEST(BenchSinkBatched, ReportsEverySocketBufferDropAsASocketDrop) {
  // A receive buffer of a few datagrams, flooded before the sink reads: what
  // did not fit is dropped by the kernel, and socket_drops must say exactly
  // that many.
  BenchSink sink(transport::listenOn(transport::TransportKind::kUdp, kLoopback),
                 sinkOptions(/*receiveBufferBytes=*/1));
  RawSender sender(sink.localAddress());
  constexpr std::uint64_t kSent = 2000;
  for (std::uint64_t s = 0; s < kSent; ++s) sender.send(dataFrame(s));

  std::atomic<bool> stop{false};
  std::thread running([&] { sink.run(stop); });
  // A report may itself meet a full buffer: send it until it is answered,
  // counting how many went out and how many were answered.
  std::uint64_t reports = 0;
  std::uint64_t answered = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (answered == 0 && Clock::now() < deadline) {
    sender.send(reportFrame(kSent));
    ++reports;
    if (sender.ack(50'000)) ++answered;
  }
  if (answered == 0) stop = true;
  running.join();
  while (sender.ack(0)) ++answered;  // answers to reports still in flight

  ASSERT_GE(answered, 1u);
  ASSERT_TRUE(sink.socketDrops().has_value());
  auto& stats = sink.stream(kStream);
  stats.finish(kSent);
  EXPECT_GT(stats.lost(), 0u);
  EXPECT_EQ(stats.duplicates(), 0u);
  EXPECT_EQ(*sink.socketDrops(), stats.lost() + (reports - answered));
}

TEST(BenchSinkBatched, CountsCorruptedFramesApartAndNeverDeliversThem) {
  auto options = sinkOptions();
  options.sequenceCeilings[kStream] = 5;
  BenchSink sink(transport::listenOn(transport::TransportKind::kUdp, kLoopback), options);
  RawSender sender(sink.localAddress());
  // 0..5 sent with a CRC. On the way, a byte of 2's sequence number and one
  // of 4's magic change; a well-checked frame numbered above what the sender
  // can send (its own bug, or a corruption the CRC missed) moves nothing.
  for (std::uint64_t s : {0, 1}) sender.send(dataFrame(s, wire::flags::kCrc));
  wire::Bytes changed = dataFrame(2, wire::flags::kCrc);
  changed[16 + 5] ^= 0xE5;  // 2 would read as 15007746
  sender.send(changed);
  sender.send(dataFrame(3, wire::flags::kCrc));
  wire::Bytes noMagic = dataFrame(4, wire::flags::kCrc);
  noMagic[0] ^= 0x01;
  sender.send(noMagic);
  sender.send(dataFrame(15'008'001, wire::flags::kCrc));
  sender.send(dataFrame(5, wire::flags::kCrc));
  sender.send(reportFrame(6));

  std::atomic<bool> stop{false};
  std::thread running([&] { sink.run(stop); });
  const auto acked = sender.ack(3'000'000);
  if (!acked) stop = true;
  running.join();

  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(sink.corrupted(), 1u);
  EXPECT_EQ(sink.malformed(), 1u);
  auto& stats = sink.stream(kStream);
  stats.finish(6);
  EXPECT_EQ(stats.delivered(), 4u);  // 0, 1, 3, 5
  EXPECT_EQ(stats.lost(), 2u);
  EXPECT_EQ(stats.implausible(), 1u);
  EXPECT_EQ(stats.tooOld(), 0u);
  EXPECT_EQ(stats.sequences().highest(), 5u);
}

// Datagrams that waited in the socket while the sink was not reading: with
// kernel stamps their latency is when they came, not when they were read.
TEST(BenchSinkBatched, KernelStampsTimeArrivalsWhenTheSocketQueuedThemNotWhenRead) {
  for (const bool kernel : {true, false}) {
    auto options = sinkOptions();
    options.kernelStamps = kernel;
    BenchSink sink(transport::listenOn(transport::TransportKind::kUdp, kLoopback), options);
    EXPECT_EQ(sink.kernelStamps(), kernel);
    // The kernel turns stamping on a moment after the first socket asks.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    RawSender sender(sink.localAddress());
    for (std::uint64_t s = 0; s < 5; ++s) sender.send(dataFrame(s));
    sender.send(reportFrame(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(80));  // nobody reads meanwhile
    std::atomic<bool> stop{false};
    std::thread running([&] { sink.run(stop); });
    const auto acked = sender.ack(3'000'000);
    if (!acked) stop = true;
    running.join();
    ASSERT_TRUE(acked.has_value());
    auto& stats = sink.stream(kStream);
    stats.finish(5);
    ASSERT_EQ(stats.delivered(), 5u);
    if (kernel) {
      EXPECT_LT(stats.latency().maxNs(), 40'000'000) << "stamped as read, not as queued";
    } else {
      EXPECT_GE(stats.latency().minNs(), 80'000'000) << "read time is after the wait";
    }
  }
}

class BenchSenderBatchedBothWays : public ::testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(Udp, BenchSenderBatchedBothWays, ::testing::Values(true, false),
                         [](const auto& param) { return param.param ? "Gso" : "Sendmmsg"; });

TEST_P(BenchSenderBatchedBothWays, SendsEveryMessageOnceAndTheSinkAccountsForEachOne) {
  bench::BenchSettings settings;
  settings.ratePerS = 0;  // as fast as possible: whole batches
  settings.count = 20'000;
  settings.udpSegmentation = GetParam();
  BenchSink sink(transport::listenOn(transport::TransportKind::kUdp, kLoopback),
                 sinkOptions(8 << 20));
  std::atomic<bool> stop{false};
  std::thread running([&] { sink.run(stop); });

  auto client = transport::connectTo(transport::TransportKind::kUdp, sink.localAddress());
  bench::BenchSender sender(*client, settings, 64);
  const std::atomic<bool> neverStopped{false};  // the stop flag, never raised
  sender.run(neverStopped);
  const bool reported = sender.deliverReports(5'000'000'000);
  if (!reported) stop = true;
  running.join();

  ASSERT_TRUE(reported);
  EXPECT_EQ(sender.sent(bench::BenchSender::kBulkStream), settings.count);
  ASSERT_EQ(sink.reportedSent(kStream), settings.count);
  auto& stats = sink.stream(kStream);
  stats.finish(settings.count);
  ASSERT_TRUE(sink.socketDrops().has_value());
  EXPECT_EQ(stats.delivered() + *sink.socketDrops(), settings.count);
  EXPECT_EQ(stats.lost(), *sink.socketDrops());
  EXPECT_EQ(stats.duplicates(), 0u);
  EXPECT_EQ(stats.reordered(), 0u);
  EXPECT_EQ(stats.tooOld(), 0u);
  EXPECT_EQ(sink.malformed(), 0u);
}

TEST(BenchSenderBatched, SendsBurstsInBatchesWithoutLosingCount) {
  bench::BenchSettings settings;
  settings.pattern = bench::Pattern::kBurst;
  settings.ratePerS = 0;     // bursts 10 ms apart
  settings.burstSize = 150;  // more than one batch per burst
  settings.count = 1000;
  BenchSink sink(transport::listenOn(transport::TransportKind::kUdp, kLoopback),
                 sinkOptions(8 << 20));
  std::atomic<bool> stop{false};
  std::thread running([&] { sink.run(stop); });

  auto client = transport::connectTo(transport::TransportKind::kUdp, sink.localAddress());
  bench::BenchSender sender(*client, settings, 100);
  const std::atomic<bool> neverStopped{false};  // the stop flag, never raised
  sender.run(neverStopped);
  const bool reported = sender.deliverReports(5'000'000'000);
  if (!reported) stop = true;
  running.join();

  ASSERT_TRUE(reported);
  EXPECT_EQ(sender.sent(bench::BenchSender::kBulkStream), 1000u);
  auto& stats = sink.stream(kStream);
  stats.finish(1000);
  EXPECT_EQ(stats.delivered() + sink.socketDrops().value_or(0), 1000u);
  EXPECT_EQ(stats.duplicates(), 0u);
  EXPECT_EQ(stats.goodputBytes(), stats.delivered() * (100 - wire::kHeaderSize));
}
