#include "link/RelayOutbox.h"

#include "transport/SourceAddress.h"
#include "wire/Bytes.h"

#include <Poco/Net/DatagramSocket.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

using pigeon::link::RelayOutbox;
using pigeon::transport::SourceAddress;
using pigeon::wire::asBytes;
using Poco::Net::DatagramSocket;
using Poco::Net::SocketAddress;

namespace {

DatagramSocket loopbackSocket() {
  DatagramSocket socket(SocketAddress::IPv4);
  socket.bind(SocketAddress("127.0.0.1", 0));
  return socket;
}

std::vector<std::string> receiveAll(DatagramSocket& socket) {
  std::vector<std::string> got;
  while (socket.poll(Poco::Timespan(0, 20'000), Poco::Net::Socket::SELECT_READ)) {
    char buffer[64];
    SocketAddress from;
    const int n = socket.receiveFrom(buffer, sizeof buffer, from);
    got.emplace_back(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace

TEST(RelayOutbox, SendsWhatItKeptInOrderToAnAddressOrTheConnectedPeer) {
  DatagramSocket relay = loopbackSocket();
  DatagramSocket peer = loopbackSocket();
  RelayOutbox out(2, 64);
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(out.add(asBytes("a"), false));
  ASSERT_TRUE(out.add(asBytes("b"), true));
  EXPECT_TRUE(out.full());
  EXPECT_FALSE(out.add(asBytes("c"), false));
  auto tally = out.flush(relay.impl()->sockfd(), SourceAddress(peer.address()));
  EXPECT_EQ(tally.sent, 2u);
  EXPECT_EQ(tally.refused, 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(receiveAll(peer), (std::vector<std::string>{"a", "b"}));

  relay.connect(peer.address());
  ASSERT_TRUE(out.add(asBytes("c"), false));
  tally = out.flush(relay.impl()->sockfd(), {});
  EXPECT_EQ(tally.sent, 1u);
  EXPECT_EQ(receiveAll(peer), std::vector<std::string>{"c"});
}

TEST(RelayOutbox, CountsEveryCopyAsSentOrRefusedControlFramesApart) {
  // Towards a closed port each copy draws an ICMP port unreachable, and the
  // socket refuses the next copy with it: sendmmsg stops there, the outbox
  // must count that copy refused and go on with the rest.
  SocketAddress closed;
  {
    DatagramSocket gone = loopbackSocket();
    closed = gone.address();
  }
  DatagramSocket relay = loopbackSocket();
  relay.connect(closed);
  relay.setBlocking(false);
  RelayOutbox out(8, 64);
  std::uint64_t sent = 0;
  std::uint64_t refused = 0;
  std::uint64_t controlRefused = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(out.add(asBytes("x"), true));
    const auto tally = out.flush(relay.impl()->sockfd(), {});
    sent += tally.sent;
    refused += tally.refused;
    controlRefused += tally.controlRefused;
  }
  EXPECT_EQ(sent + refused, 24u);
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(controlRefused, refused);
}
