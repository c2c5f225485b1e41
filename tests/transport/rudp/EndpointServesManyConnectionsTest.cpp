// RudpEndpoint, the sans-I/O core of an rudp socket: many connections on
// one listener, told apart by source address, in a bounded table. Driven by
// a fake clock and an in-memory network: no socket, no thread.

#include "transport/rudp/RudpCodec.h"
#include "transport/rudp/RudpEndpoint.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>

namespace pigeon::transport::rudp {
namespace {

constexpr std::int64_t kMs = 1'000'000;

SourceAddress at(int port) { return SourceAddress(Poco::Net::SocketAddress("127.0.0.1", port)); }

// Endpoints by address; what one transmits waits in `inFlight` until
// deliver() hands it to the endpoint at its destination, from its source.
struct Network {
  struct Datagram {
    wire::Bytes bytes;
    SourceAddress from;
    SourceAddress to;
  };
  std::int64_t nowNs = 1'000 * kMs;
  std::deque<Datagram> inFlight;
  std::vector<std::pair<SourceAddress, RudpEndpoint*>> endpoints;

  RudpEndpoint::Transmit transmitFrom(const SourceAddress& from) {
    return [this, from](wire::ByteSpan d, const SourceAddress& to) {
      inFlight.push_back({wire::Bytes(d.begin(), d.end()), from, to});
    };
  }
  RudpEndpoint* endpointAt(const SourceAddress& address) {
    for (auto& [a, e] : endpoints) {
      if (a == address) return e;
    }
    return nullptr;
  }
  // Delivers until nothing is in flight (bounded).
  void deliver() {
    for (int i = 0; i < 10'000 && !inFlight.empty(); ++i) {
      Datagram d = std::move(inFlight.front());
      inFlight.pop_front();
      if (RudpEndpoint* e = endpointAt(d.to)) {
        e->input(d.bytes, d.from, nowNs);
        e->flushAcks();
      }
    }
  }
  void advance(std::int64_t ns) {
    nowNs += ns;
    for (auto& [a, e] : endpoints) e->update(nowNs);
  }
};

struct Harness {
  explicit Harness(RudpOptions withOptions = {}) : options(withOptions) {
    listener = std::make_unique<RudpEndpoint>(options, CookieMinter::Secret{9, 9, 9},
                                              net.transmitFrom(kListener), [] { return 4242u; });
    net.endpoints.push_back({kListener, listener.get()});
  }
  // A client at `port`; its Connect is in flight.
  RudpEndpoint& client(int port) {
    clients[port] = std::make_unique<RudpEndpoint>(
        options, kListener, static_cast<std::uint32_t>(port), 100u * port,
        net.transmitFrom(at(port)), net.nowNs, net.nowNs + 5'000 * kMs);
    net.endpoints.push_back({at(port), clients[port].get()});
    return *clients[port];
  }
  RudpConnection* clientConnection(int port) {
    RudpEndpoint& c = *clients.at(port);
    if (!clientHandles.contains(port)) {
      const auto h = c.takeEstablished();
      if (!h) return nullptr;
      clientHandles[port] = *h;
    }
    return c.connection(clientHandles[port]);
  }

  const SourceAddress kListener = at(9000);
  RudpOptions options;
  Network net;
  std::unique_ptr<RudpEndpoint> listener;
  std::map<int, std::unique_ptr<RudpEndpoint>> clients;
  std::map<int, RudpEndpoint::Handle> clientHandles;
};

wire::Header message(std::uint64_t sequence) {
  wire::Header h;
  h.type = wire::MessageType::kData;
  h.sequence = sequence;
  return h;
}

TEST(RudpEndpoint, ServesManyClientsOnOneListenerEachWithItsOwnConnection) {
  Harness h;
  for (int port : {5001, 5002, 5003}) h.client(port);
  h.net.deliver();  // Connect, Challenge, Cookie, Accept for all three
  EXPECT_EQ(h.listener->connectionCount(), 3u);
  std::map<std::uint16_t, RudpEndpoint::Handle> byPort;
  while (const auto handle = h.listener->takeEstablished()) {
    byPort[h.listener->peerOf(*handle).toSocketAddress().port()] = *handle;
  }
  ASSERT_EQ(byPort.size(), 3u);

  for (int port : {5001, 5002, 5003}) {
    RudpConnection* c = h.clientConnection(port);
    ASSERT_NE(c, nullptr) << port;
    const wire::Bytes payload(10, static_cast<std::uint8_t>(port % 256));
    c->send(message(static_cast<std::uint64_t>(port)), payload, h.net.nowNs);
  }
  h.net.deliver();
  for (int port : {5001, 5002, 5003}) {
    RudpConnection* server = h.listener->connection(byPort.at(static_cast<std::uint16_t>(port)));
    ASSERT_NE(server, nullptr);
    const auto m = server->takeMessage(h.net.nowNs);
    ASSERT_TRUE(m) << port;
    EXPECT_EQ(m->header.sequence, static_cast<std::uint64_t>(port));  // its own client's
    EXPECT_EQ(m->payload, wire::Bytes(10, static_cast<std::uint8_t>(port % 256)));
    EXPECT_FALSE(server->hasMessage());
    EXPECT_TRUE(h.clientConnection(port)->allAcked());
  }
  EXPECT_EQ(h.listener->counters().accepted, 3u);
  EXPECT_EQ(h.listener->counters().refusedFull, 0u);
}

TEST(RudpEndpoint, TellsTheOwnersWhichConnectionsInputTouched) {
  Harness h;
  h.client(5001);
  h.client(5002);
  h.net.deliver();
  std::vector<RudpEndpoint::Handle> touched;
  h.listener->takeTouched(touched);
  EXPECT_EQ(touched.size(), 2u);  // each once, however many datagrams
  touched.clear();
  h.listener->takeTouched(touched);
  EXPECT_TRUE(touched.empty());
  const auto first = h.listener->takeEstablished();
  const auto second = h.listener->takeEstablished();
  ASSERT_TRUE(first && second);
  const int port = h.listener->peerOf(*first).toSocketAddress().port();
  h.clientConnection(port)->send(message(1), wire::Bytes(4, 1), h.net.nowNs);
  h.net.deliver();
  h.listener->takeTouched(touched);
  EXPECT_EQ(touched, std::vector<RudpEndpoint::Handle>{*first});
}

TEST(RudpEndpoint, DatagramsFromAStrangerReachNoConnection) {
  Harness h;
  h.client(5001);
  h.net.deliver();
  const auto handle = h.listener->takeEstablished();
  ASSERT_TRUE(handle);
  // Client 5001's data datagram, replayed from another address.
  h.clientConnection(5001)->send(message(7), wire::Bytes(8, 7), h.net.nowNs);
  ASSERT_EQ(h.net.inFlight.size(), 1u);
  Network::Datagram copy = h.net.inFlight.front();
  copy.from = at(6666);
  h.net.inFlight.push_back(copy);
  h.net.deliver();
  RudpConnection* server = h.listener->connection(*handle);
  EXPECT_EQ(server->counters().messagesDelivered, 0u);
  ASSERT_TRUE(server->takeMessage(h.net.nowNs));
  EXPECT_FALSE(server->hasMessage());  // once, from its own client only
  EXPECT_EQ(h.listener->counters().strangersDropped, 1u);
  EXPECT_EQ(h.listener->connectionCount(), 1u);
  // Garbage and a corrupted copy from strangers are counted apart.
  h.listener->input(wire::Bytes{'h', 'i'}, at(6667), h.net.nowNs);
  copy.bytes[40] ^= 0xFF;
  h.listener->input(copy.bytes, at(6668), h.net.nowNs);
  EXPECT_EQ(h.listener->counters().malformedDropped, 1u);
  EXPECT_EQ(h.listener->counters().corruptDropped, 1u);
}

TEST(RudpEndpoint, HoldsAtMostMaxConnectionsAndRefusesTheNextCookieCountingIt) {
  RudpOptions options;
  options.maxConnections = 2;
  Harness h(options);
  for (int port : {5001, 5002, 5003}) h.client(port);
  h.net.deliver();
  EXPECT_EQ(h.listener->connectionCount(), 2u);
  EXPECT_EQ(h.listener->counters().refusedFull, 1u);
  EXPECT_EQ(h.clients.at(5003)->connector()->state(), RudpConnector::State::kAwaitAccept);

  // One slot freed: the refused client's next Cookie gets in.
  const auto handle = h.listener->takeEstablished();
  ASSERT_TRUE(handle);
  h.listener->release(*handle);
  EXPECT_EQ(h.listener->connectionCount(), 1u);
  for (int i = 0; i < 10 && !h.clientConnection(5003); ++i) {
    h.net.advance(1'000 * kMs);
    h.net.deliver();
  }
  EXPECT_NE(h.clientConnection(5003), nullptr);
  EXPECT_EQ(h.listener->connectionCount(), 2u);
}

TEST(RudpEndpoint, ASilentPeersConnectionFailsByTheIdleTimeoutAndReleaseFreesItsSlot) {
  RudpOptions options;
  options.idleTimeoutMs = 500;
  options.keepaliveIntervalMs = 100;
  Harness h(options);
  h.client(5001);
  h.net.deliver();
  const auto handle = h.listener->takeEstablished();
  ASSERT_TRUE(handle);
  h.net.endpoints.pop_back();  // the client vanishes: nothing it is sent arrives
  for (int i = 0; i < 20; ++i) {
    h.net.advance(50 * kMs);
    h.net.deliver();
  }
  RudpConnection* server = h.listener->connection(*handle);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->state(), RudpConnection::State::kFailed);
  EXPECT_EQ(h.listener->nextTimeoutNs(), kNever);
  h.listener->release(*handle);
  EXPECT_EQ(h.listener->connection(*handle), nullptr);
  EXPECT_EQ(h.listener->connectionCount(), 0u);
}

TEST(RudpEndpoint, AClientsHandshakeFailsAtItsDeadline) {
  Network net;
  RudpEndpoint client(RudpOptions{}, at(9000), 77, 1, net.transmitFrom(at(5001)), net.nowNs,
                      net.nowNs + 300 * kMs);
  net.endpoints.push_back({at(5001), &client});
  EXPECT_EQ(net.inFlight.size(), 1u);  // the first Connect, at once
  for (int i = 0; i < 10; ++i) net.advance(100 * kMs);
  EXPECT_EQ(client.connector()->state(), RudpConnector::State::kFailed);
  EXPECT_FALSE(client.hasEstablished());
  EXPECT_EQ(client.nextTimeoutNs(), kNever);
}

TEST(RudpEndpoint, StopListeningDropsWhatWasNotTakenAndAnswersNoMore) {
  Harness h;
  h.client(5001);
  h.net.deliver();
  EXPECT_TRUE(h.listener->hasEstablished());
  h.listener->stopListening();
  EXPECT_FALSE(h.listener->hasEstablished());
  EXPECT_EQ(h.listener->connectionCount(), 0u);
  h.client(5002);
  h.net.deliver();
  EXPECT_EQ(h.listener->connectionCount(), 0u);
  EXPECT_EQ(h.clients.at(5002)->connector()->state(), RudpConnector::State::kAwaitChallenge);
}

}  // namespace
}  // namespace pigeon::transport::rudp
