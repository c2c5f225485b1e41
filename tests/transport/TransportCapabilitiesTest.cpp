// What callers ask a transport instead of downcasting it or comparing its
// name: its kind, its traits, and the optional capabilities.

#include "transport/BatchedDatagramIo.h"
#include "transport/TransportFactory.h"
#include "transport/TransportKind.h"

#include <gtest/gtest.h>

#include <Poco/Net/SocketAddress.h>

#include <memory>
#include <string>

namespace {

using pigeon::transport::TransportKind;
namespace transport = pigeon::transport;

const Poco::Net::SocketAddress kLoopback("127.0.0.1", 0);
const Poco::Timespan kWait(2, 0);

TEST(TransportKind, ParsesEveryNameItPrintsAndNothingElse) {
  for (const TransportKind kind : transport::allTransportKinds()) {
    EXPECT_EQ(transport::parseTransportKind(transport::transportKindName(kind)), kind);
  }
  EXPECT_FALSE(transport::parseTransportKind("UDP"));  // the option edge lower-cases, not this
  EXPECT_FALSE(transport::parseTransportKind("sctp"));
  EXPECT_FALSE(transport::parseTransportKind(""));
  EXPECT_EQ(transport::allTransportKinds().size(), 3u);
}

TEST(TransportKind, TraitsSayWhatEachDoesToMessages) {
  const auto udp = transport::traitsOf(TransportKind::kUdp);
  const auto tcp = transport::traitsOf(TransportKind::kTcp);
  const auto rudp = transport::traitsOf(TransportKind::kRudp);
  EXPECT_FALSE(udp.reliable);
  EXPECT_TRUE(tcp.reliable);
  EXPECT_TRUE(rudp.reliable);
  EXPECT_TRUE(tcp.byteStream);
  EXPECT_FALSE(udp.byteStream || rudp.byteStream);
  EXPECT_TRUE(udp.carriedByUdp && rudp.carriedByUdp);
  EXPECT_FALSE(tcp.carriedByUdp);  // why a UDP relay cannot impair it
  EXPECT_TRUE(udp.speaksPlainText && tcp.speaksPlainText);
  EXPECT_FALSE(rudp.speaksPlainText);
  EXPECT_TRUE(rudp.acknowledgesMessages);
  EXPECT_FALSE(udp.acknowledgesMessages || tcp.acknowledgesMessages);
}

// A connected pair of each kind, both ends asked the same questions.
class TransportCapabilities : public ::testing::TestWithParam<TransportKind> {
 protected:
  void SetUp() override {
    listener_ = transport::listenOn(GetParam(), kLoopback);
    client_ = transport::connectTo(GetParam(), listener_->localAddress(), {}, kWait);
  }
  std::unique_ptr<transport::Listener> listener_;
  std::unique_ptr<transport::Transport> client_;
};

INSTANTIATE_TEST_SUITE_P(EachKind, TransportCapabilities,
                         ::testing::ValuesIn(transport::allTransportKinds()),
                         [](const auto& param) {
                           return std::string(transport::transportKindName(param.param));
                         });

TEST_P(TransportCapabilities, SaysItsOwnKindAndName) {
  EXPECT_EQ(client_->kind(), GetParam());
  EXPECT_EQ(client_->name(), transport::transportKindName(GetParam()));
  EXPECT_EQ(client_->traits().reliable, transport::traitsOf(GetParam()).reliable);
}

TEST_P(TransportCapabilities, OffersTheBatchedPathOnlyForPlainUdp) {
  EXPECT_EQ(client_->batchedIo() != nullptr, GetParam() == TransportKind::kUdp);
}

TEST_P(TransportCapabilities, HasProtocolCountersOnlyWhereTheProtocolRunsInUserSpace) {
  EXPECT_EQ(client_->reliabilityCounters().has_value(), GetParam() == TransportKind::kRudp);
}

TEST_P(TransportCapabilities, FlushReturnsOnceNothingIsUnacknowledged) {
  EXPECT_TRUE(client_->flush(kWait));  // nothing was sent
}

TEST_P(TransportCapabilities, OnlyAUdpListenerHandsOutItsSocketBeforeAnyoneSpeaks) {
  EXPECT_EQ(listener_->acceptsWithoutWaiting(), GetParam() == TransportKind::kUdp);
}

}  // namespace
