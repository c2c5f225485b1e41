#include "lab/LabLink.h"

#include "lab/LabUnavailable.h"
#include "lab/NetnsScope.h"
#include "wire/Clock.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

using pigeon::lab::LabLink;
using pigeon::lab::LabUnavailable;
using pigeon::lab::NetnsScope;
using pigeon::link::LinkSpec;
using Direction = pigeon::lab::Emulator::Direction;

namespace {

// The lab, or a skip that says why this machine cannot build one.
#define BUILD_LAB_OR_SKIP(lab, spec)                       \
  std::optional<LabLink> lab;                              \
  try {                                                    \
    lab.emplace(LinkSpec::parse(spec));                    \
  } catch (const LabUnavailable& e) {                      \
    GTEST_SKIP() << "lab not possible here: " << e.what(); \
  }                                                        \
  lab->start()

bool listed(const std::string& name) {
  const auto names = LabLink::namespaces("pigeon");
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A UDP socket in the far namespace on the far address, and one in the near
// namespace connected to it. Each is created inside its scope: a socket
// belongs to the namespace current when it is made.
struct SocketPair {
  explicit SocketPair(const LabLink& lab) {
    {
      NetnsScope inFar(lab.farNamespaceFd());
      far = Poco::Net::DatagramSocket(Poco::Net::SocketAddress::IPv4);
      far.bind(Poco::Net::SocketAddress(LabLink::kFarAddress, 0));
      far.setReceiveBufferSize(8 << 20);
    }
    NetnsScope inNear(lab.nearNamespaceFd());
    near = Poco::Net::DatagramSocket(Poco::Net::SocketAddress::IPv4);
    near.connect(far.address());
  }
  Poco::Net::DatagramSocket far;
  Poco::Net::DatagramSocket near;
};

// Receives until nothing arrives for `quietMs` (at most `maxPackets`).
int receiveAll(Poco::Net::DatagramSocket& socket, int maxPackets, int quietMs) {
  socket.setReceiveTimeout(Poco::Timespan(0, quietMs * 1000));
  char buffer[2048];
  int received = 0;
  while (received < maxPackets) {
    try {
      socket.receiveBytes(buffer, sizeof buffer);
      ++received;
    } catch (const Poco::TimeoutException&) {
      break;
    }
  }
  return received;
}

}  // namespace

TEST(LabLink, CarriesUdpWithTheDelayOfItsSpecAndRemovesItsNamespaces) {
  std::string near, far;
  {
    BUILD_LAB_OR_SKIP(lab, "up.delay=25ms,seed=1");
    near = lab->nearName();
    far = lab->farName();
    EXPECT_TRUE(listed(near));
    EXPECT_TRUE(listed(far));
    SocketPair sockets(*lab);
    const std::int64_t sentNs = pigeon::wire::steadyNowNs();
    sockets.near.sendBytes("hello", 5);
    sockets.far.setReceiveTimeout(Poco::Timespan(2, 0));
    char buffer[16];
    ASSERT_EQ(sockets.far.receiveBytes(buffer, sizeof buffer), 5);
    const std::int64_t tookNs = pigeon::wire::steadyNowNs() - sentNs;
    EXPECT_GE(tookNs, 25'000'000);
    EXPECT_LT(tookNs, 50'000'000);  // not twice: generous for a loaded CI machine
    const auto up = lab->counters(Direction::kUp);
    EXPECT_EQ(up.udp.seen, 1u);
    EXPECT_EQ(up.udp.delivered, 1u);
    EXPECT_EQ(up.delayP50Ns, 25'000'000);
  }
  EXPECT_FALSE(listed(near));
  EXPECT_FALSE(listed(far));
}

TEST(LabLink, UdpLossEqualsTheEmulatorsDropCount) {
  BUILD_LAB_OR_SKIP(lab, "loss=5%,seed=11");
  SocketPair sockets(*lab);
  constexpr int kDatagrams = 4000;
  char payload[100] = {};
  for (int i = 0; i < kDatagrams; ++i) sockets.near.sendBytes(payload, sizeof payload);
  const int received = receiveAll(sockets.far, kDatagrams, 300);
  const auto udp = lab->counters(Direction::kUp).udp;
  EXPECT_EQ(udp.seen, static_cast<std::uint64_t>(kDatagrams));
  EXPECT_EQ(static_cast<std::uint64_t>(received), kDatagrams - udp.droppedByModel);
  // 5 % of 4,000 = 200; the 99.9 % binomial interval is about +-45.
  EXPECT_NEAR(static_cast<double>(udp.droppedByModel), 200.0, 45.0);
  EXPECT_EQ(lab->deviceDrops(), 0u);
}

TEST(LabLink, TheSameSeedLosesTheSameDatagrams) {
  const auto lostWith = [](const char* spec) -> std::optional<std::uint64_t> {
    std::optional<LabLink> lab;
    try {
      lab.emplace(LinkSpec::parse(spec));
    } catch (const LabUnavailable&) {
      return std::nullopt;
    }
    lab->start();
    SocketPair sockets(*lab);
    char payload[64] = {};
    for (int i = 0; i < 1000; ++i) sockets.near.sendBytes(payload, sizeof payload);
    receiveAll(sockets.far, 1000, 200);
    return lab->counters(Direction::kUp).udp.droppedByModel;
  };
  const auto first = lostWith("loss=10%,seed=5");
  if (!first) GTEST_SKIP() << "lab not possible here";
  EXPECT_EQ(lostWith("loss=10%,seed=5"), first);
  EXPECT_GT(*first, 0u);
}

TEST(LabLink, RemovesTheNamespacesOfADeadOwnerOnly) {
  try {
    LabLink::checkAvailable();
  } catch (const LabUnavailable& e) {
    GTEST_SKIP() << "lab not possible here: " << e.what();
  }
  // pid 9999999 is above pid_max on Linux (at most 2^22): never alive.
  const std::string dead = "pigeontest-9999999-near";
  const std::string alive = "pigeontest-" + std::to_string(::getpid()) + "-near";
  ASSERT_EQ(std::system(("ip netns add " + dead).c_str()), 0);
  ASSERT_EQ(std::system(("ip netns add " + alive).c_str()), 0);
  const auto removed = LabLink::removeStale("pigeontest");
  EXPECT_EQ(removed, std::vector<std::string>{dead});
  const auto left = LabLink::namespaces("pigeontest");
  EXPECT_EQ(left, std::vector<std::string>{alive});
  std::system(("ip netns delete " + alive).c_str());
}
