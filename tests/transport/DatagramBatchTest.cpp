// The batched UDP path: sendmmsg/recvmmsg through DatagramBatch.

#include "transport/DatagramBatch.h"
#include "transport/TransportError.h"
#include "transport/UdpTransport.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <Poco/Net/DatagramSocket.h>

#include "TransportTestSupport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

using namespace pigeon::transport;
using namespace pigeon::wire;
using Kind = Incoming::Kind;
using Poco::Timespan;
using Poco::Net::DatagramSocket;
using Poco::Net::SocketAddress;
using Clock = std::chrono::steady_clock;
using pigeon::testing::dataHeader;

namespace {

const SocketAddress kAny("127.0.0.1", 0);
const Timespan kPoll(0, 200'000);

// Payload of message `i`: its own length and bytes, so a mix-up shows.
Bytes payloadOf(std::uint64_t i) {
  Bytes p(8 + i % 23);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<std::uint8_t>(i * 7 + k);
  return p;
}

std::string text(ByteSpan bytes) { return {bytes.begin(), bytes.end()}; }

// A copy of what one receive produced, since the batch is reused.
struct Got {
  Kind kind;
  Header header;
  Bytes payload;
};

// Receives until `want` datagrams were read or three seconds passed.
std::vector<Got> receiveAtLeast(UdpTransport& t, DatagramBatch& batch, std::size_t want,
                                std::size_t* malformed = nullptr, std::size_t* calls = nullptr) {
  std::vector<Got> got;
  std::size_t read = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (read < want && Clock::now() < deadline) {
    read += t.receiveBatch(batch, kPoll);
    if (malformed) *malformed += batch.malformed();
    if (calls) ++*calls;
    for (const auto& d : batch.received()) {
      got.push_back({d.kind, d.header, Bytes(d.payload.begin(), d.payload.end())});
    }
  }
  return got;
}

DatagramSocket rawSocket() {
  DatagramSocket s(kAny.family());
  s.bind(kAny);
  return s;
}

void sendRaw(DatagramSocket& s, const Bytes& datagram, const SocketAddress& to) {
  s.sendTo(datagram.data(), static_cast<int>(datagram.size()), to);
}

void sendText(DatagramSocket& s, const std::string& datagram, const SocketAddress& to) {
  s.sendTo(datagram.data(), static_cast<int>(datagram.size()), to);
}

}  // namespace

TEST(DatagramBatch, HoldsFramesUntilFullAndRefusesOneLargerThanASlot) {
  DatagramBatch batch(3, 64);
  EXPECT_EQ(batch.capacity(), 3u);
  EXPECT_TRUE(batch.add(dataHeader(0), payloadOf(0)));
  EXPECT_TRUE(batch.add(dataHeader(1), payloadOf(1)));
  EXPECT_TRUE(batch.add(dataHeader(2), payloadOf(2)));
  EXPECT_TRUE(batch.full());
  EXPECT_FALSE(batch.add(dataHeader(3), payloadOf(3)));
  EXPECT_EQ(batch.pending(), 3u);
  batch.clear();
  EXPECT_EQ(batch.pending(), 0u);
  try {
    batch.add(dataHeader(4), Bytes(64 - kHeaderSize + 1));
    FAIL() << "a frame larger than a slot was taken";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), TransportError::Code::kMessageTooLong);
  }
  EXPECT_EQ(batch.pending(), 0u);
}

TEST(UdpBatch, SendsAndReceivesManyFramesIntactAndInOrder) {
  auto server = UdpTransport::listen(kAny);
  auto client = UdpTransport::connect(server->localAddress());
  constexpr std::size_t kFrames = 200;  // more than one batch each way
  DatagramBatch out(64, 128);
  std::vector<Header> sent;
  for (std::uint64_t i = 0; i < kFrames; ++i) {
    if (out.full()) client->sendBatch(out);
    EXPECT_EQ(out.pending(), i % 64);
    sent.push_back(dataHeader(i));
    ASSERT_TRUE(out.add(sent.back(), payloadOf(i)));
  }
  client->sendBatch(out);
  EXPECT_EQ(out.pending(), 0u);

  DatagramBatch in(64, 128);
  std::size_t malformed = 0;
  const auto got = receiveAtLeast(*server, in, kFrames, &malformed);
  ASSERT_EQ(got.size(), kFrames);
  EXPECT_EQ(malformed, 0u);
  for (std::uint64_t i = 0; i < kFrames; ++i) {
    ASSERT_EQ(got[i].kind, Kind::kMessage) << i;
    EXPECT_EQ(got[i].header.type, MessageType::kData);
    EXPECT_EQ(got[i].header.streamId, 5u);
    EXPECT_EQ(got[i].header.sequence, i);
    EXPECT_EQ(got[i].header.sendTimeNs, sent[i].sendTimeNs);
    EXPECT_EQ(got[i].payload, payloadOf(i)) << i;
  }
  EXPECT_TRUE(server->hasPeer());
  EXPECT_EQ(server->peerAddress(), client->localAddress());
  EXPECT_EQ(server->peerKind(), PeerKind::kPigeon);
  EXPECT_GT(in.arrivalNs(), 0);
}

TEST(UdpBatch, WithSegmentationSendsEqualFramesAsOneDatagramEach) {
  auto server = UdpTransport::listen(kAny);
  auto client = UdpTransport::connect(server->localAddress());
  client->setSegmentation(true);
  DatagramBatch out(64, 128);
  for (std::uint64_t i = 0; i < 64; ++i) {
    ASSERT_TRUE(out.add(dataHeader(i), Bytes(40, static_cast<std::uint8_t>(i))));
  }
  EXPECT_EQ(out.uniformBytes(), kHeaderSize + 40);
  client->sendBatch(out);

  DatagramBatch in(64, 128);
  const auto got = receiveAtLeast(*server, in, 64);
  ASSERT_EQ(got.size(), 64u);  // 64 datagrams, not one of 64 frames
  for (std::uint64_t i = 0; i < 64; ++i) {
    EXPECT_EQ(got[i].header.sequence, i);
    EXPECT_EQ(got[i].payload, Bytes(40, static_cast<std::uint8_t>(i)));
  }
}

TEST(UdpBatch, WithSegmentationStillSendsFramesOfDifferentSizesOneByOne) {
  auto server = UdpTransport::listen(kAny);
  auto client = UdpTransport::connect(server->localAddress());
  client->setSegmentation(true);
  DatagramBatch out(16, 128);
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(out.add(dataHeader(i), payloadOf(i)));
  EXPECT_EQ(out.uniformBytes(), 0u);
  client->sendBatch(out);

  DatagramBatch in(64, 128);
  const auto got = receiveAtLeast(*server, in, 10);
  ASSERT_EQ(got.size(), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(got[i].payload, payloadOf(i)) << i;
  EXPECT_TRUE(client->segmentation());  // mixed sizes are no reason to give it up
}

TEST(UdpBatch, ReadsAPartialBatchWhenFewerDatagramsAreQueued) {
  auto server = UdpTransport::listen(kAny);
  auto client = UdpTransport::connect(server->localAddress());
  DatagramBatch out(64, 128);
  for (std::uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(out.add(dataHeader(i), payloadOf(i)));
  client->sendBatch(out);

  DatagramBatch in(64, 128);
  std::size_t calls = 0;
  const auto got = receiveAtLeast(*server, in, 5, nullptr, &calls);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_LE(calls, 5u);
  for (std::uint64_t i = 0; i < 5; ++i) EXPECT_EQ(got[i].header.sequence, i);
  // Nothing more is queued: the next receive waits its timeout and reads none.
  EXPECT_EQ(server->receiveBatch(in, Timespan(0, 20'000)), 0u);
  EXPECT_TRUE(in.received().empty());
  EXPECT_EQ(in.arrivalNs(), 0);
}

TEST(UdpBatch, ReadsNoMoreThanItsCapacityAndLeavesTheRestQueued) {
  auto server = UdpTransport::listen(kAny);
  auto client = UdpTransport::connect(server->localAddress());
  DatagramBatch out(16, 128);
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(out.add(dataHeader(i), payloadOf(i)));
  client->sendBatch(out);

  DatagramBatch small(4, 128);
  const auto got = receiveAtLeast(*server, small, 10);
  ASSERT_EQ(got.size(), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) EXPECT_EQ(got[i].header.sequence, i);
}

TEST(UdpBatch, SkipsAndCountsMalformedDatagramsInsideABatch) {
  auto server = UdpTransport::listen(kAny);
  DatagramSocket raw = rawSocket();
  const SocketAddress to = server->localAddress();

  Bytes badReserved = encode(dataHeader(1), asBytes("abc"));
  badReserved[7] = 1;
  Bytes cut = encode(dataHeader(2), asBytes("abcdef"));
  cut.resize(cut.size() - 2);
  const Bytes shortHeader(Bytes{kMagic0, kMagic1, kVersion, 1, 0, 0});
  const Bytes tooBig = encode(dataHeader(3), Bytes(200, 0x11));  // larger than a slot

  sendRaw(raw, encode(dataHeader(0), asBytes("first")), to);
  sendRaw(raw, badReserved, to);
  sendRaw(raw, cut, to);
  sendRaw(raw, shortHeader, to);
  sendRaw(raw, tooBig, to);
  sendRaw(raw, Bytes{'h', 'i', '\n'}, to);  // plain text is not malformed
  sendRaw(raw, encode(dataHeader(4), asBytes("last")), to);

  DatagramBatch in(64, 128);
  std::size_t malformed = 0;
  const auto got = receiveAtLeast(*server, in, 7, &malformed);
  EXPECT_EQ(malformed, 4u);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].kind, Kind::kMessage);
  EXPECT_EQ(text(got[0].payload), "first");
  EXPECT_EQ(got[1].kind, Kind::kPlain);
  EXPECT_EQ(text(got[1].payload), "hi\n");
  EXPECT_EQ(got[2].kind, Kind::kMessage);
  EXPECT_EQ(got[2].header.sequence, 4u);
  EXPECT_EQ(text(got[2].payload), "last");
}

TEST(UdpBatch, TakesTheFirstSourceAsPeerAndIgnoresStrangersQueuedBehindIt) {
  auto server = UdpTransport::listen(kAny);
  DatagramSocket first = rawSocket();
  DatagramSocket stranger = rawSocket();
  const SocketAddress to = server->localAddress();
  sendRaw(first, encode(dataHeader(0), asBytes("a")), to);
  sendRaw(stranger, encode(dataHeader(100), asBytes("x")), to);
  sendRaw(first, encode(dataHeader(1), asBytes("b")), to);

  DatagramBatch in(64, 128);
  std::size_t strangers = 0;
  std::vector<std::uint64_t> sequences;
  std::size_t read = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (read < 3 && Clock::now() < deadline) {
    read += server->receiveBatch(in, kPoll);
    strangers += in.strangers();
    for (const auto& d : in.received()) sequences.push_back(d.header.sequence);
  }
  EXPECT_EQ(server->peerAddress(), first.address());
  EXPECT_EQ(strangers, 1u);
  EXPECT_EQ(sequences, (std::vector<std::uint64_t>{0, 1}));
}

TEST(UdpBatch, RefusesToSendBeforeItHasAPeer) {
  auto server = UdpTransport::listen(kAny);
  DatagramBatch out(4, 128);
  ASSERT_TRUE(out.add(dataHeader(0), payloadOf(0)));
  EXPECT_THROW(server->sendBatch(out), TransportError);
}

namespace {

// The kernel turns arrival stamping on a moment after the first socket asks
// (a deferred switch); a datagram that arrived before is stamped when it is
// read. Waits (at most 1 s) until a datagram read 2 ms after it was sent
// carries the earlier stamp.
bool stampsAreLive(DatagramBatch& in, DatagramSocket& sender, DatagramSocket& receiver) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    sendText(sender, "warm", receiver.address());
    const timespec pause{0, 2'000'000};
    ::nanosleep(&pause, nullptr);
    if (in.receiveQueued(receiver.impl()->sockfd()) >= 1 &&
        in.arrivalNs() - in.arrivalNs(0) >= 1'000'000) {
      return true;
    }
    ::nanosleep(&pause, nullptr);
  }
  return false;
}

}  // namespace

TEST(DatagramBatch, TellsWhenEachDatagramReachedTheSocketNotWhenItWasRead) {
  // A relay that reads late (it wakes for due copies, not for arrivals) must
  // still delay each datagram from when it came: the kernel's stamp.
  DatagramSocket receiver = rawSocket();
  DatagramSocket sender = rawSocket();
  DatagramBatch in(8, 128);
  ASSERT_TRUE(in.stampArrivals(receiver.impl()->sockfd()));
  ASSERT_TRUE(stampsAreLive(in, sender, receiver));
  const std::int64_t beforeNs = steadyNowNs();
  sendText(sender, "early", receiver.address());
  const std::int64_t afterNs = steadyNowNs();
  const timespec pause{0, 30'000'000};
  ::nanosleep(&pause, nullptr);
  sendText(sender, "late", receiver.address());
  // Loopback queues a datagram before sendto() returns: both are there.
  ASSERT_EQ(in.receiveQueued(receiver.impl()->sockfd()), 2);
  EXPECT_EQ(text(in.datagram(0)), "early");
  // The realtime-to-steady conversion and the clocks' reads allow ~1 ms.
  EXPECT_GE(in.arrivalNs(0), beforeNs - 1'000'000);
  EXPECT_LE(in.arrivalNs(0), afterNs + 1'000'000);
  EXPECT_GE(in.arrivalNs() - in.arrivalNs(0), 25'000'000);
  EXPECT_LE(in.arrivalNs(0), in.arrivalNs(1));
  EXPECT_LE(in.arrivalNs(1), in.arrivalNs());
}

TEST(DatagramBatch, WithoutStampsSaysEveryDatagramArrivedWhenTheReadReturned) {
  DatagramSocket receiver = rawSocket();
  DatagramSocket sender = rawSocket();
  sendText(sender, "x", receiver.address());
  DatagramBatch in(8, 128);
  ASSERT_TRUE(receiver.poll(pigeon::testing::kWait, Poco::Net::Socket::SELECT_READ));
  ASSERT_EQ(in.receiveQueued(receiver.impl()->sockfd()), 1);
  EXPECT_EQ(in.arrivalNs(0), in.arrivalNs());
}

TEST(DatagramBatch, SendsRawDatagramsToAnAddressFromAnUnconnectedSocketThatAlsoStamps) {
  // A relay's batch reads with control messages and sends raw copies to its
  // client: the send must carry no control message, the bytes as given.
  DatagramSocket relay = rawSocket();
  DatagramSocket client = rawSocket();
  DatagramBatch out(4, 16);
  ASSERT_TRUE(out.stampArrivals(relay.impl()->sockfd()));
  ASSERT_TRUE(out.addDatagram(asBytes("one")));
  ASSERT_TRUE(out.addDatagram(asBytes("")));
  ASSERT_TRUE(out.addDatagram(asBytes("three")));
  EXPECT_THROW(out.addDatagram(Bytes(17)), TransportError);
  const SourceAddress to(client.address());
  EXPECT_EQ(out.sendPendingTo(relay.impl()->sockfd(), 0, to), 3);
  out.clear();
  for (const char* want : {"one", "", "three"}) {
    ASSERT_TRUE(client.poll(pigeon::testing::kWait, Poco::Net::Socket::SELECT_READ));
    char buffer[32];
    SocketAddress from;
    const int n = client.receiveFrom(buffer, sizeof buffer, from);
    EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(n)), want);
    EXPECT_EQ(from, relay.address());
  }
  // And it still receives, stamped, after that send.
  sendText(client, "back", relay.address());
  ASSERT_TRUE(relay.poll(pigeon::testing::kWait, Poco::Net::Socket::SELECT_READ));
  ASSERT_EQ(out.receiveQueued(relay.impl()->sockfd()), 1);
  EXPECT_EQ(text(out.datagram(0)), "back");
  EXPECT_LE(out.arrivalNs(0), out.arrivalNs());
  EXPECT_GT(out.arrivalNs(0), out.arrivalNs() - 1'000'000'000);
}

TEST(DatagramBatch, KeepsFramesAddedForSendingWhenAskedToStampArrivals) {
  DatagramSocket socket = rawSocket();
  DatagramBatch batch(4, 64);
  ASSERT_TRUE(batch.add(dataHeader(0), payloadOf(0)));
  ASSERT_TRUE(batch.stampArrivals(socket.impl()->sockfd()));
  EXPECT_EQ(batch.pending(), 1u);
}
