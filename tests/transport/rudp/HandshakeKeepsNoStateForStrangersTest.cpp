// The stateless-cookie handshake: Connect -> Challenge -> Cookie -> Accept.
// Spoofed, forged, expired, garbage, truncated and replayed datagrams
// change nothing.

#include "SimulatedLink.h"
#include "transport/rudp/RudpCodec.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace pigeon::transport::rudp {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kLifetimeNs = 10'000 * kMs;

struct Sent {
  wire::Bytes bytes;
  Poco::Net::SocketAddress to;
};

struct ListenerHarness {
  ListenerHarness()
      : listener(
            RudpOptions{}, CookieMinter::Secret{1, 2, 3},
            [this](wire::ByteSpan d, const Poco::Net::SocketAddress& to) {
              sent.push_back({wire::Bytes(d.begin(), d.end()), to});
            },
            [] { return std::uint64_t{5000}; }) {}

  HandshakeResponder listener;
  std::vector<Sent> sent;
};

Hello clientHello(std::uint32_t id = 0xABCD) {
  return {id, ArqScheme::kGoBackN, DeliveryMode::kOrdered, 777, 32};
}

wire::Bytes connectDatagram(const Hello& hello) {
  wire::Bytes out;
  appendConnect(hello, 0, out);
  return out;
}

Cookie cookieFrom(const wire::Bytes& challenge) {
  wire::Frame frame;
  EXPECT_TRUE(decodeRudpDatagram(challenge, frame).taken());
  std::uint32_t id = 0;
  Cookie cookie{};
  EXPECT_EQ(parseChallenge(frame.payload, id, cookie), DropReason::kNone);
  return cookie;
}

wire::Bytes cookieDatagram(const Hello& hello, const Cookie& cookie) {
  wire::Bytes out;
  appendCookie(hello, cookie, 0, out);
  return out;
}

const Poco::Net::SocketAddress kClient("198.51.100.7", 5000);

TEST(RudpHandshake, AnswersAConnectWithAChallengeNoLargerThanIt) {
  ListenerHarness h;
  const wire::Bytes connect = connectDatagram(clientHello());
  const auto r = h.listener.input(connect, kClient, 0);
  EXPECT_TRUE(r.input.taken());
  EXPECT_FALSE(r.accepted);
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0].to, kClient);
  EXPECT_LE(h.sent[0].bytes.size(), connect.size());  // no amplification
}

TEST(RudpHandshake, AcceptsAValidCookieWithTheClientsFields) {
  ListenerHarness h;
  const Hello hello = clientHello();
  h.listener.input(connectDatagram(hello), kClient, 0);
  const auto r =
      h.listener.input(cookieDatagram(hello, cookieFrom(h.sent[0].bytes)), kClient, 100 * kMs);
  ASSERT_TRUE(r.accepted);
  EXPECT_EQ(r.accepted->connectionId, hello.connectionId);
  EXPECT_EQ(r.accepted->peerIsn, 777u);
  EXPECT_EQ(r.accepted->peerWindow, 32u);
  EXPECT_EQ(r.accepted->localIsn, 5000u);
  EXPECT_EQ(r.accepted->arq, ArqScheme::kGoBackN);  // the listener follows the client
}

TEST(RudpHandshake, ManySpoofedConnectsCreateNoListenerState) {
  ListenerHarness h;
  for (std::uint16_t port = 1; port <= 2000; ++port) {
    const auto r = h.listener.input(connectDatagram(clientHello(port)),
                                    Poco::Net::SocketAddress("203.0.113.9", port), 0);
    EXPECT_FALSE(r.accepted);
  }
  EXPECT_EQ(h.listener.counters().challengesSent, 2000u);
  // The listener holds no table: a cookie is good only from the address it
  // was issued to, and only with the fields it was issued for.
  const Cookie forPort1 = cookieFrom(h.sent[0].bytes);
  const auto wrongAddress = h.listener.input(cookieDatagram(clientHello(1), forPort1), kClient, 0);
  EXPECT_EQ(wrongAddress.input.drop, DropReason::kBadCookie);
  Hello altered = clientHello(1);
  altered.initialSequence = 1;
  const auto wrongFields = h.listener.input(cookieDatagram(altered, forPort1),
                                            Poco::Net::SocketAddress("203.0.113.9", 1), 0);
  EXPECT_EQ(wrongFields.input.drop, DropReason::kBadCookie);
  EXPECT_FALSE(wrongAddress.accepted || wrongFields.accepted);
}

TEST(RudpHandshake, RejectsACookieOnceItsTimeHasPassed) {
  ListenerHarness h;
  const Hello hello = clientHello();
  h.listener.input(connectDatagram(hello), kClient, 0);
  const wire::Bytes cookie = cookieDatagram(hello, cookieFrom(h.sent[0].bytes));
  EXPECT_EQ(h.listener.input(cookie, kClient, 2 * kLifetimeNs).input.drop,
            DropReason::kExpiredCookie);
  EXPECT_TRUE(h.listener.input(cookie, kClient, kLifetimeNs).accepted);  // next bucket: good
}

TEST(RudpHandshake, RejectsAForgedCookie) {
  ListenerHarness h;
  Cookie forged{};
  const auto r = h.listener.input(cookieDatagram(clientHello(), forged), kClient, 0);
  EXPECT_EQ(r.input.drop, DropReason::kBadCookie);
  EXPECT_TRUE(h.sent.empty());
}

TEST(RudpHandshake, GarbageAndTruncatedDatagramsChangeNothingAtTheListener) {
  ListenerHarness h;
  const wire::Bytes connect = connectDatagram(clientHello());
  const std::vector<wire::Bytes> bad = {
      {},
      {0x50},
      wire::Bytes(connect.begin(), connect.begin() + 20),
      wire::Bytes(connect.begin(), connect.end() - 1),
      wire::Bytes(500, 0xFF),
  };
  for (const wire::Bytes& b : bad) {
    const auto r = h.listener.input(b, kClient, 0);
    EXPECT_FALSE(r.input.taken());
    EXPECT_FALSE(r.accepted);
  }
  EXPECT_TRUE(h.sent.empty());
  EXPECT_EQ(h.listener.counters().dropped, bad.size());
}

TEST(RudpHandshake, CompletesAndAgreesOnTheModesAcrossALink) {
  RudpOptions client;
  client.arq = ArqScheme::kSelectiveRepeat;
  client.delivery = DeliveryMode::kUnordered;
  RudpOptions listener;
  listener.listenerFollowsClient = false;
  listener.arq = ArqScheme::kGoBackN;
  link::DirectionSpec wire10ms;
  wire10ms.delayNs = 10 * kMs;
  test::SimulatedLink net(wire10ms, wire10ms, client, listener);
  ASSERT_TRUE(net.connect());
  EXPECT_EQ(net.client().params().arq, ArqScheme::kGoBackN);  // the listener's word
  EXPECT_EQ(net.server().params().arq, ArqScheme::kGoBackN);
  EXPECT_EQ(net.client().params().peerIsn, net.server().params().localIsn);
  EXPECT_EQ(net.server().params().peerIsn, net.client().params().localIsn);
  EXPECT_EQ(net.client().counters().srttUs, 20'000);  // seeded by the handshake
}

TEST(RudpHandshake, SurvivesTheLossOfEveryFirstTry) {
  link::DirectionSpec lossy;
  lossy.lossProbability = 0.5;
  lossy.delayNs = 5 * kMs;
  lossy.seed = 3;
  test::SimulatedLink net(lossy, lossy, RudpOptions{}, RudpOptions{});
  EXPECT_TRUE(net.connect());
}

TEST(RudpHandshake, TheClientGivesUpAtTheDeadlineSayingWhy) {
  link::DirectionSpec dead;
  dead.lossProbability = 1.0;
  test::SimulatedLink net(dead, dead, RudpOptions{}, RudpOptions{});
  EXPECT_FALSE(net.connect(5'000 * kMs));
  EXPECT_EQ(net.connector().failure(), "no answer to connect");
  // At 0 and 1 s, then every second (the gap stops doubling at the
  // initial RTO): five Connects, where doubling sent three (0, 1, 3 s).
  EXPECT_EQ(net.connector().datagramsSent(), 5u);
}

TEST(RudpHandshake, AReplayedCookieAfterAcceptOnlyRepeatsTheAccept) {
  ListenerHarness h;
  const Hello hello = clientHello();
  h.listener.input(connectDatagram(hello), kClient, 0);
  const wire::Bytes cookie = cookieDatagram(hello, cookieFrom(h.sent[0].bytes));
  const auto r = h.listener.input(cookie, kClient, 0);
  ASSERT_TRUE(r.accepted);
  std::vector<wire::Bytes> out;
  RudpConnection server(
      RudpOptions{}, *r.accepted, [&](wire::ByteSpan d) { out.emplace_back(d.begin(), d.end()); },
      0);
  ASSERT_EQ(out.size(), 1u);  // the Accept
  EXPECT_TRUE(server.inputDatagram(cookie, kMs).taken());
  ASSERT_EQ(out.size(), 2u);
  const wire::DecodeResult first = wire::decodeDatagram(out[0]);
  const wire::DecodeResult again = wire::decodeDatagram(out[1]);
  EXPECT_EQ(again.frame.header.type, wire::MessageType::kRudpAccept);
  EXPECT_TRUE(std::equal(first.frame.payload.begin(), first.frame.payload.end(),
                         again.frame.payload.begin(), again.frame.payload.end()));
  EXPECT_EQ(server.state(), RudpConnection::State::kOpen);
}

TEST(RudpHandshake, ReplayedDataIsDiscardedAsADuplicateAndDeliveredOnce) {
  link::DirectionSpec clean;
  test::SimulatedLink net(clean, clean, RudpOptions{}, RudpOptions{});
  ASSERT_TRUE(net.connect());
  std::vector<wire::Bytes> captured;
  RudpConnection tap(
      RudpOptions{}, net.client().params(),
      [&](wire::ByteSpan d) { captured.emplace_back(d.begin(), d.end()); }, net.nowNs());
  wire::Header h;
  h.sequence = 1;
  tap.send(h, wire::asBytes("once"), net.nowNs());  // what the client would send first
  ASSERT_EQ(captured.size(), 1u);
  for (int i = 0; i < 3; ++i) net.server().inputDatagram(captured[0], net.nowNs());
  int delivered = 0;
  while (net.server().takeMessage(net.nowNs())) ++delivered;
  EXPECT_EQ(delivered, 1);
  EXPECT_EQ(net.server().counters().duplicatesDiscarded, 2u);
}

TEST(RudpHandshake, ADatagramForAnotherConnectionIsIgnored) {
  link::DirectionSpec clean;
  test::SimulatedLink net(clean, clean, RudpOptions{}, RudpOptions{});
  ASSERT_TRUE(net.connect());
  wire::Bytes close;
  appendClose({net.server().params().connectionId + 1, 0}, 0, close);
  EXPECT_EQ(net.server().inputDatagram(close, net.nowNs()).drop, DropReason::kUnknownConnection);
  EXPECT_EQ(net.server().state(), RudpConnection::State::kOpen);
}

}  // namespace
}  // namespace pigeon::transport::rudp
