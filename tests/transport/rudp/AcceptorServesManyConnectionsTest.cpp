// RudpAcceptor over real sockets on 127.0.0.1 (port 0): one socket, many
// connections at once, each its own; connections outlive the acceptor.
// Bounded in count and time; no sleeps as synchronisation.

#include "transport/TransportFactory.h"
#include "transport/rudp/RudpAcceptor.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace pigeon::transport::rudp {
namespace {

const Poco::Net::SocketAddress kAnyLoopback("127.0.0.1", 0);
const Poco::Timespan kWait(5, 0);

wire::Header header(std::uint64_t sequence) {
  wire::Header h;
  h.type = wire::MessageType::kData;
  h.sequence = sequence;
  return h;
}

TEST(RudpAcceptor, ServesManyConnectionsOnOneSocketEachWithItsOwnMessages) {
  RudpAcceptor listener(kAnyLoopback, {});
  const Poco::Net::SocketAddress address("127.0.0.1", listener.localAddress().port());
  constexpr int kClients = 12;
  std::vector<std::unique_ptr<Transport>> clients;
  std::vector<std::unique_ptr<Transport>> served;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(connectTo(TransportKind::kRudp, address, {}, kWait));
    served.push_back(listener.accept(kWait));
    ASSERT_TRUE(served.back()) << i;
    EXPECT_EQ(served.back()->peerAddress().port(), clients.back()->localAddress().port());
    EXPECT_EQ(served.back()->localAddress().port(), address.port());  // the one socket
  }
  EXPECT_EQ(listener.connectionCount(), static_cast<std::size_t>(kClients));
  for (int i = 0; i < kClients; ++i) {
    const wire::Bytes payload(16, static_cast<std::uint8_t>(i));
    clients[i]->sendMessage(header(static_cast<std::uint64_t>(i)), payload);
  }
  for (int i = 0; i < kClients; ++i) {  // each connection hears only its client
    const Incoming in = served[i]->receive(kWait);
    ASSERT_EQ(in.kind, Incoming::Kind::kMessage) << i;
    EXPECT_EQ(in.header.sequence, static_cast<std::uint64_t>(i));
    EXPECT_EQ(in.payload, wire::Bytes(16, static_cast<std::uint8_t>(i)));
    served[i]->sendMessage(header(100 + static_cast<std::uint64_t>(i)), in.payload);
  }
  for (int i = 0; i < kClients; ++i) {
    const Incoming in = clients[i]->receive(kWait);
    ASSERT_EQ(in.kind, Incoming::Kind::kMessage) << i;
    EXPECT_EQ(in.header.sequence, 100 + static_cast<std::uint64_t>(i));
  }

  // One client closes: its connection ends and leaves the table; the others go on.
  clients[0]->close();
  EXPECT_EQ(served[0]->receive(kWait).kind, Incoming::Kind::kClosed);
  served[0]->close();
  EXPECT_EQ(listener.connectionCount(), static_cast<std::size_t>(kClients - 1));
  clients[1]->sendMessage(header(1), wire::Bytes(3, 1));
  EXPECT_EQ(served[1]->receive(kWait).kind, Incoming::Kind::kMessage);
}

TEST(RudpAcceptor, ConnectionsHandedOutOutliveTheAcceptor) {
  auto listener = std::make_unique<RudpAcceptor>(kAnyLoopback, RudpOptions{});
  const Poco::Net::SocketAddress address("127.0.0.1", listener->localAddress().port());
  auto client = connectTo(TransportKind::kRudp, address, {}, kWait);
  auto served = listener->accept(kWait);
  ASSERT_TRUE(served);
  listener.reset();
  client->sendMessage(header(5), wire::Bytes(2, 5));
  const Incoming in = served->receive(kWait);
  ASSERT_EQ(in.kind, Incoming::Kind::kMessage);
  EXPECT_EQ(in.header.sequence, 5u);
  // No one accepts any more: a new client gets no connection.
  EXPECT_THROW(connectTo(TransportKind::kRudp, address, {}, Poco::Timespan(0, 300'000)),
               TransportError);
}

TEST(RudpAcceptor, AFullTableRefusesTheNextClientAndCountsIt) {
  RudpOptions options;
  options.maxConnections = 1;
  RudpAcceptor listener(kAnyLoopback, options);
  const Poco::Net::SocketAddress address("127.0.0.1", listener.localAddress().port());
  auto first = connectTo(TransportKind::kRudp, address, {}, kWait);
  auto served = listener.accept(kWait);
  ASSERT_TRUE(served);
  try {
    connectTo(TransportKind::kRudp, address, {}, Poco::Timespan(0, 400'000));
    FAIL() << "a second connection beyond the table";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), TransportError::Code::kTimedOut);
    EXPECT_NE(std::string(e.what()).find("a challenge but no accept"), std::string::npos)
        << e.what();
  }
  EXPECT_GE(listener.counters().refusedFull, 1u);
  EXPECT_EQ(listener.connectionCount(), 1u);
}

}  // namespace
}  // namespace pigeon::transport::rudp
