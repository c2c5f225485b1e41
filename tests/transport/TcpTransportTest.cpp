#include "transport/TcpTransport.h"

#include "transport/Endpoint.h"
#include "transport/TcpListener.h"
#include "transport/TransportError.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include "TransportTestSupport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

using namespace pigeon::transport;
using namespace pigeon::wire;
using Code = TransportError::Code;
using Kind = Incoming::Kind;
using Poco::Timespan;
using Poco::Net::SocketAddress;
using Poco::Net::StreamSocket;
using Clock = std::chrono::steady_clock;
using pigeon::testing::dataHeader;
using pigeon::testing::kWait;
using pigeon::testing::receiveSomething;
using pigeon::testing::text;

namespace {

std::string rawReceive(StreamSocket& s, std::size_t want) {
  std::string got;
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  char buffer[4096];
  while (got.size() < want && Clock::now() < deadline) {
    if (!s.poll(Timespan(0, 200'000), Poco::Net::Socket::SELECT_READ)) continue;
    const int n = s.receiveBytes(buffer, sizeof buffer);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

void rawSend(StreamSocket& s, ByteSpan bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const int n = s.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    ASSERT_GT(n, 0);
    sent += static_cast<std::size_t>(n);
  }
}

class TcpTransportTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { listener_ = std::make_unique<TcpListener>(SocketAddress(GetParam(), 0)); }

  SocketAddress listening() const { return listener_->localAddress(); }

  std::unique_ptr<TcpTransport> accept() {
    auto t = listener_->acceptTcp(kWait);
    EXPECT_NE(t, nullptr) << "no connection within the wait";
    return t;
  }

  // A raw socket connected to the listener, standing in for nc or a script.
  StreamSocket rawClient() {
    StreamSocket s(listening().family());
    s.connect(listening(), kWait);
    s.setNoDelay(true);
    return s;
  }

  std::unique_ptr<TcpListener> listener_;
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Loopback, TcpTransportTest, ::testing::Values("127.0.0.1", "::1"),
                         [](const auto& param) { return param.param == "::1" ? "IPv6" : "IPv4"; });

TEST_P(TcpTransportTest, CarriesFramedMessagesBothWays) {
  auto client = TcpTransport::connect(listening(), kWait);
  auto server = accept();
  ASSERT_TRUE(server);
  EXPECT_EQ(client->peerAddress(), listening());
  EXPECT_EQ(server->peerAddress(), client->localAddress());
  EXPECT_EQ(client->name(), "tcp");
  EXPECT_TRUE(client->hasPeer());
  EXPECT_EQ(server->peerKind(), PeerKind::kUnknown);

  const Header sent = dataHeader(7, flags::kCrc);
  client->sendMessage(sent, asBytes("hello over tcp"));
  client->sendMessage(dataHeader(8), {});
  client->sendMessage(dataHeader(9), asBytes("third"));
  Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage) << describe(in.error);
  EXPECT_EQ(in.header.sequence, 7u);
  EXPECT_EQ(in.header.streamId, 5u);
  EXPECT_EQ(in.header.flags, flags::kCrc);
  EXPECT_EQ(in.header.sendTimeNs, sent.sendTimeNs);
  EXPECT_EQ(text(in.payload), "hello over tcp");
  EXPECT_EQ(in.from, client->localAddress());
  EXPECT_EQ(server->peerKind(), PeerKind::kPigeon);
  in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(in.header.sequence, 8u);
  EXPECT_TRUE(in.payload.empty());
  in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(text(in.payload), "third");

  server->sendMessage(dataHeader(1), asBytes("and back"));
  in = receiveSomething(*client);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(text(in.payload), "and back");
}

TEST_P(TcpTransportTest, SetsNoDelayUnlessAskedNotTo) {
  auto client = TcpTransport::connect(listening(), kWait);
  EXPECT_TRUE(client->socket().getNoDelay());
  auto nagle = TcpTransport::connect(listening(), kWait, TcpOptions{.noDelay = false});
  EXPECT_FALSE(nagle->socket().getNoDelay());
}

TEST_P(TcpTransportTest, ReassemblesFramesWrittenInTinyPieces) {
  StreamSocket raw = rawClient();
  auto server = accept();
  ASSERT_TRUE(server);

  constexpr std::uint64_t kFrames = 60;
  Bytes stream;
  for (std::uint64_t i = 0; i < kFrames; ++i) {
    appendFrame(dataHeader(i, (i % 3 == 0) ? flags::kCrc : 0),
                asBytes("piece " + std::to_string(i)), stream);
  }
  std::mt19937 rng(7);
  std::vector<Incoming> got;
  for (std::size_t pos = 0; pos < stream.size();) {
    // The first piece holds the whole magic: a lone "P" followed by a
    // receive(0) that finds nothing more would be taken for a plain peer.
    const std::size_t n = pos == 0 ? 3 : std::min<std::size_t>(1 + rng() % 7, stream.size() - pos);
    rawSend(raw, ByteSpan(stream).subspan(pos, n));
    pos += n;
    // Read what is there now, so the receiver sees the frames in pieces too.
    const Incoming in = server->receive(Timespan(0));
    if (in.kind != Kind::kTimeout) got.push_back(in);
  }
  while (got.size() < kFrames) {
    const Incoming in = receiveSomething(*server);
    if (in.kind == Kind::kTimeout) break;
    got.push_back(in);
  }
  ASSERT_EQ(got.size(), kFrames);
  for (std::uint64_t i = 0; i < kFrames; ++i) {
    ASSERT_EQ(got[i].kind, Kind::kMessage) << i << ": " << describe(got[i].error);
    EXPECT_EQ(got[i].header.sequence, i);
    EXPECT_EQ(text(got[i].payload), "piece " + std::to_string(i));
  }
}

TEST_P(TcpTransportTest, DeliversAFrameLargerThanTheSocketBuffersWhole) {
  auto client = TcpTransport::connect(listening(), kWait);
  auto server = accept();
  ASSERT_TRUE(server);
  // Small buffers, so the frame must go out in many partial sends.
  client->socket().setSendBufferSize(16 * 1024);
  server->socket().setReceiveBufferSize(16 * 1024);

  Bytes payload(kMaxStreamPayload);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 31);
  std::string sendError;
  std::thread sender([&] {
    try {
      client->sendMessage(dataHeader(1, flags::kCrc), payload);  // copied behind its header
      client->sendMessage(dataHeader(2), payload);               // gathered with it
      client->sendMessage(dataHeader(3), asBytes("after"));
    } catch (const std::exception& e) {
      sendError = e.what();
    }
  });
  const Incoming big = receiveSomething(*server, std::chrono::seconds(10));
  const Incoming gathered = receiveSomething(*server, std::chrono::seconds(10));
  const Incoming after = receiveSomething(*server);
  sender.join();
  EXPECT_EQ(sendError, "");
  ASSERT_EQ(big.kind, Kind::kMessage) << describe(big.error);
  EXPECT_EQ(big.header.sequence, 1u);
  EXPECT_TRUE(big.payload == payload);
  ASSERT_EQ(gathered.kind, Kind::kMessage) << describe(gathered.error);
  EXPECT_EQ(gathered.header.sequence, 2u);
  EXPECT_TRUE(gathered.payload == payload);
  ASSERT_EQ(after.kind, Kind::kMessage);
  EXPECT_EQ(text(after.payload), "after");
}

TEST_P(TcpTransportTest, RefusesAPayloadAboveTheStreamMaximum) {
  auto client = TcpTransport::connect(listening(), kWait);
  EXPECT_EQ(client->maxPayload(), kMaxStreamPayload);
  try {
    client->sendMessage(dataHeader(1), Bytes(kMaxStreamPayload + 1, 0));
    FAIL() << "sent an oversized frame";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kMessageTooLong);
  }
}

TEST_P(TcpTransportTest, ReportsThePeerClosing) {
  auto client = TcpTransport::connect(listening(), kWait);
  auto server = accept();
  ASSERT_TRUE(server);
  client->sendMessage(dataHeader(1), asBytes("last words"));
  client->close();
  Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(text(in.payload), "last words");
  EXPECT_EQ(receiveSomething(*server).kind, Kind::kClosed);
  EXPECT_EQ(server->receive(Timespan(0)).kind, Kind::kClosed);  // and stays closed
}

TEST_P(TcpTransportTest, ReportsAHalfCloseAsClosed) {
  auto client = TcpTransport::connect(listening(), kWait);
  auto server = accept();
  ASSERT_TRUE(server);
  client->shutdownSend();
  EXPECT_EQ(receiveSomething(*server).kind, Kind::kClosed);
  // The other direction still works.
  server->sendMessage(dataHeader(1), asBytes("still here"));
  const Incoming in = receiveSomething(*client);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(text(in.payload), "still here");
}

TEST_P(TcpTransportTest, SendingToAVanishedPeerFailsWithoutASignal) {
  auto client = TcpTransport::connect(listening(), kWait);
  auto server = accept();
  ASSERT_TRUE(server);
  server->close();
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  std::string message;
  for (int i = 0; i < 100 && Clock::now() < deadline && message.empty(); ++i) {
    try {
      // Small payloads go copied behind their header, large ones gathered.
      const std::size_t size = i % 2 == 0 ? 1000 : 40'000;
      client->sendMessage(dataHeader(static_cast<std::uint64_t>(i)), Bytes(size, 'x'));
      client->receive(Timespan(0, 20'000));
    } catch (const TransportError& e) {
      EXPECT_EQ(e.code(), Code::kPeerClosed) << e.what();
      message = e.what();
    }
  }
  EXPECT_NE(message, "") << "sending never failed";
}

TEST_P(TcpTransportTest, DeliversPlainTextAsItArrives) {
  StreamSocket raw = rawClient();
  auto server = accept();
  ASSERT_TRUE(server);
  rawSend(raw, asBytes("hello from nc"));
  Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kPlain);
  EXPECT_EQ(text(in.payload), "hello from nc");
  EXPECT_EQ(server->peerKind(), PeerKind::kPlain);

  // Later bytes are plain too, even ones that look like a frame.
  const Bytes frame = encode(dataHeader(1), asBytes("x"));
  rawSend(raw, frame);
  std::string rest;
  for (int i = 0; i < 100 && rest.size() < frame.size(); ++i) {
    in = receiveSomething(*server);
    ASSERT_EQ(in.kind, Kind::kPlain);
    rest += text(in.payload);
  }
  EXPECT_EQ(rest, text(frame));

  server->sendPlain(asBytes("hello, nc"));
  EXPECT_EQ(rawReceive(raw, 9), "hello, nc");

  raw.close();
  EXPECT_EQ(receiveSomething(*server).kind, Kind::kClosed);
}

TEST_P(TcpTransportTest, DeliversALonePAsPlainAfterTheTimeout) {
  StreamSocket raw = rawClient();
  auto server = accept();
  ASSERT_TRUE(server);
  rawSend(raw, asBytes("P"));
  const auto start = Clock::now();
  const Incoming in = receiveSomething(*server);
  const auto elapsed = Clock::now() - start;
  ASSERT_EQ(in.kind, Kind::kPlain);
  EXPECT_EQ(text(in.payload), "P");
  EXPECT_EQ(server->peerKind(), PeerKind::kPlain);
  EXPECT_GE(elapsed, std::chrono::milliseconds(150));  // one receive timeout of silence

  rawSend(raw, asBytes("G\x01 and more"));
  const Incoming more = receiveSomething(*server);
  ASSERT_EQ(more.kind, Kind::kPlain);
  EXPECT_EQ(text(more.payload), "G\x01 and more");
}

TEST_P(TcpTransportTest, DecidesPlainOnceThePrefixBreaks) {
  StreamSocket raw = rawClient();
  auto server = accept();
  ASSERT_TRUE(server);
  rawSend(raw, asBytes("PG"));  // undecided so far
  rawSend(raw, asBytes("X!"));
  const Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kPlain);
  EXPECT_EQ(text(in.payload), "PGX!");
}

TEST_P(TcpTransportTest, DeliversAPlainPeersLastBytesWhenItCloses) {
  StreamSocket raw = rawClient();
  auto server = accept();
  ASSERT_TRUE(server);
  rawSend(raw, asBytes("P"));
  raw.shutdownSend();
  Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kPlain);
  EXPECT_EQ(text(in.payload), "P");
  EXPECT_EQ(receiveSomething(*server).kind, Kind::kClosed);
}

TEST_P(TcpTransportTest, ReportsAMalformedFrameOnceThenCloses) {
  StreamSocket raw = rawClient();
  auto server = accept();
  ASSERT_TRUE(server);
  Bytes stream = encode(dataHeader(1), asBytes("good"));
  Bytes bad = encode(dataHeader(2), asBytes("bad"));
  bad[7] = 0x01;  // reserved
  stream.insert(stream.end(), bad.begin(), bad.end());
  rawSend(raw, stream);

  Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(text(in.payload), "good");
  in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMalformed);
  EXPECT_EQ(in.error, DecodeError::kBadReserved);
  EXPECT_EQ(server->receive(Timespan(0)).kind, Kind::kClosed);
}

TEST_P(TcpTransportTest, RejectsAHugeLengthBeforeThePayloadArrives) {
  StreamSocket raw = rawClient();
  auto server = accept();
  ASSERT_TRUE(server);
  Bytes header = encode(dataHeader(1), {});
  putU32(header.data() + 8, 0x7FFFFFFF);
  rawSend(raw, header);
  const Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMalformed);
  EXPECT_EQ(in.error, DecodeError::kLengthTooLarge);
}

TEST_P(TcpTransportTest, WaitsTheWholeTimeoutForTheRestOfAFrame) {
  StreamSocket raw = rawClient();
  auto server = accept();
  ASSERT_TRUE(server);
  const Bytes frame = encode(dataHeader(1), asBytes("split in two"));
  rawSend(raw, ByteSpan(frame).first(20));
  const auto start = Clock::now();
  EXPECT_EQ(server->receive(Timespan(0, 150'000)).kind, Kind::kTimeout);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(140));
  rawSend(raw, ByteSpan(frame).subspan(20));
  const Incoming in = server->receive(kWait);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(text(in.payload), "split in two");
}

TEST_P(TcpTransportTest, TimesOutWhenNothingArrives) {
  auto client = TcpTransport::connect(listening(), kWait);
  auto server = accept();
  ASSERT_TRUE(server);
  const auto start = Clock::now();
  const Incoming in = server->receive(Timespan(0, 100'000));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(in.kind, Kind::kTimeout);
  EXPECT_GE(elapsed, std::chrono::milliseconds(90));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_P(TcpTransportTest, AcceptReturnsNothingWhenNoOneConnects) {
  EXPECT_EQ(listener_->accept(Timespan(0, 50'000)), nullptr);
}

TEST_P(TcpTransportTest, ReportsAPortInUse) {
  try {
    TcpListener second(listening());
    FAIL() << "two listeners on " << formatAddress(listening());
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kAddressInUse);
    EXPECT_NE(std::string(e.what()).find("bind tcp " + formatAddress(listening()) +
                                         ": address already in use"),
              std::string::npos)
        << e.what();
  }
}

TEST_P(TcpTransportTest, ReportsAConnectionRefused) {
  const SocketAddress closed = listening();
  listener_->close();
  try {
    TcpTransport::connect(closed, kWait);
    FAIL() << "connected to a closed port";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kConnectionRefused);
    EXPECT_EQ(std::string(e.what()),
              "tcp connect to " + formatAddress(closed) + ": connection refused");
  }
}

TEST(TcpTransport, AnIPv6WildcardListenerAcceptsIPv4Clients) {
  TcpListener listener(SocketAddress("::", 0));
  auto client =
      TcpTransport::connect(SocketAddress("127.0.0.1", listener.localAddress().port()), kWait);
  auto server = listener.accept(kWait);
  ASSERT_TRUE(server);
  EXPECT_EQ(formatAddress(server->peerAddress()), formatAddress(client->localAddress()));
  client->sendMessage(dataHeader(1), asBytes("v4 to v6"));
  const Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(text(in.payload), "v4 to v6");
}
