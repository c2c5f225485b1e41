#include "bench/EchoServer.h"
#include "transport/TransportFactory.h"

#include <gtest/gtest.h>

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

using pigeon::bench::EchoServer;
using pigeon::transport::TransportKind;
using Poco::Net::SocketAddress;

namespace {

// One line of plain text to `at` over UDP; what came back.
std::string plainRoundTrip(const SocketAddress& at, const std::string& line) {
  Poco::Net::DatagramSocket client(SocketAddress("127.0.0.1", 0));
  client.setReceiveTimeout(Poco::Timespan(2, 0));
  client.sendTo(line.data(), static_cast<int>(line.size()), at);
  char buffer[64];
  SocketAddress from;
  const int n = client.receiveFrom(buffer, sizeof buffer, from);
  return std::string(buffer, static_cast<std::size_t>(std::max(n, 0)));
}

TEST(EchoServer, KindsShareTheKernelsPortAndKeepTheirOrder) {
  EchoServer server({TransportKind::kUdp, TransportKind::kTcp}, "127.0.0.1", 0, {});
  EXPECT_EQ(server.kinds(), (std::vector<TransportKind>{TransportKind::kUdp, TransportKind::kTcp}));
  EXPECT_NE(server.localAddress(TransportKind::kUdp).port(), 0);
  EXPECT_EQ(server.localAddress(TransportKind::kUdp).port(),
            server.localAddress(TransportKind::kTcp).port());
  EXPECT_THROW(server.counters(TransportKind::kRudp), std::out_of_range);
}

TEST(EchoServer, EachKindIsServedAndCountedApart) {
  EchoServer server({TransportKind::kUdp, TransportKind::kTcp}, "127.0.0.1", 0, {});
  server.start();
  const SocketAddress at = server.localAddress(TransportKind::kUdp);

  EXPECT_EQ(plainRoundTrip(at, "ping\n"), "ping\n");

  // The TCP reflector listens on the same port while the UDP one serves.
  Poco::Net::StreamSocket tcp;
  tcp.connect(server.localAddress(TransportKind::kTcp), Poco::Timespan(2, 0));

  server.stop();
  server.stop();  // a second stop is harmless
  EXPECT_EQ(server.counters(TransportKind::kUdp).reflected, 1u);
  EXPECT_EQ(server.counters(TransportKind::kTcp).reflected, 0u);
}

TEST(EchoServer, UdpAndRudpShareOneSocketToldApartPerDatagram) {
  EchoServer server({TransportKind::kRudp, TransportKind::kUdp}, "127.0.0.1", 0, {});
  server.start();
  const SocketAddress at("127.0.0.1", server.localAddress(TransportKind::kUdp).port());
  EXPECT_EQ(server.localAddress(TransportKind::kRudp).port(), at.port());

  // rudp's handshake and probe on the port...
  auto rudp = pigeon::transport::connectTo(TransportKind::kRudp, at, {}, Poco::Timespan(3, 0));
  pigeon::wire::Header probe;
  probe.type = pigeon::wire::MessageType::kEcho;
  probe.sequence = 9;
  rudp->sendMessage(probe, pigeon::wire::Bytes(24, 0));
  const auto reply = rudp->receive(Poco::Timespan(3, 0));
  ASSERT_EQ(reply.kind, pigeon::transport::Incoming::Kind::kMessage);
  EXPECT_EQ(reply.header.type, pigeon::wire::MessageType::kEchoReply);
  EXPECT_EQ(reply.header.sequence, 9u);

  // ...while plain text to the same port is echoed by the udp reflector.
  EXPECT_EQ(plainRoundTrip(at, "ping\n"), "ping\n");

  rudp->close();
  server.stop();
  EXPECT_EQ(server.counters(TransportKind::kUdp).reflected, 1u);
  EXPECT_EQ(server.counters(TransportKind::kUdp).malformed, 0u);  // rudp's never reached it
  EXPECT_EQ(server.counters(TransportKind::kRudp).reflected, 1u);
  EXPECT_EQ(server.counters(TransportKind::kRudp).peers, 1u);
}

TEST(EchoServer, StopWithoutStartReturns) {
  EchoServer server({TransportKind::kUdp}, "127.0.0.1", 0, {});
  server.stop();
  EXPECT_EQ(server.counters(TransportKind::kUdp).reflected, 0u);
}

}  // namespace
