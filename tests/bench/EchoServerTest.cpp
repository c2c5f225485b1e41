#include "bench/EchoServer.h"

#include <gtest/gtest.h>

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <stdexcept>
#include <string>
#include <vector>

using pigeon::bench::EchoServer;
using pigeon::transport::TransportKind;
using Poco::Net::SocketAddress;

namespace {

TEST(EchoServer, KindsShareTheKernelsPortAndAreToldInOrder) {
  std::vector<TransportKind> told;
  EchoServer server({TransportKind::kUdp, TransportKind::kTcp}, "127.0.0.1", 0, {},
                    [&told](TransportKind kind, const SocketAddress& at) {
                      EXPECT_NE(at.port(), 0);
                      told.push_back(kind);
                    });
  EXPECT_EQ(told, (std::vector<TransportKind>{TransportKind::kUdp, TransportKind::kTcp}));
  EXPECT_EQ(server.kinds(), told);
  EXPECT_NE(server.localAddress(TransportKind::kUdp).port(), 0);
  EXPECT_EQ(server.localAddress(TransportKind::kUdp).port(),
            server.localAddress(TransportKind::kTcp).port());
  EXPECT_THROW(server.counters(TransportKind::kRudp), std::out_of_range);
}

TEST(EchoServer, EachKindIsServedAndCountedApart) {
  EchoServer server({TransportKind::kUdp, TransportKind::kTcp}, "127.0.0.1", 0, {});
  server.start();
  const SocketAddress at = server.localAddress(TransportKind::kUdp);

  Poco::Net::DatagramSocket client(SocketAddress("127.0.0.1", 0));
  client.setReceiveTimeout(Poco::Timespan(2, 0));
  const std::string line = "ping\n";
  client.sendTo(line.data(), static_cast<int>(line.size()), at);
  char buffer[64];
  SocketAddress from;
  ASSERT_EQ(client.receiveFrom(buffer, sizeof buffer, from), static_cast<int>(line.size()));
  EXPECT_EQ(std::string(buffer, line.size()), line);

  // The TCP reflector listens on the same port while the UDP one serves.
  Poco::Net::StreamSocket tcp;
  tcp.connect(server.localAddress(TransportKind::kTcp), Poco::Timespan(2, 0));

  server.stop();
  server.stop();  // a second stop is harmless
  EXPECT_EQ(server.counters(TransportKind::kUdp).reflected, 1u);
  EXPECT_EQ(server.counters(TransportKind::kTcp).reflected, 0u);
}

TEST(EchoServer, UdpAndRudpCannotShareAPort) {
  EXPECT_THROW(EchoServer({TransportKind::kUdp, TransportKind::kRudp}, "127.0.0.1", 0, {}),
               std::invalid_argument);
}

TEST(EchoServer, StopWithoutStartReturns) {
  EchoServer server({TransportKind::kUdp}, "127.0.0.1", 0, {});
  server.stop();
  EXPECT_EQ(server.counters(TransportKind::kUdp).reflected, 0u);
}

}  // namespace
