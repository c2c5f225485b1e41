// The handshake across a link that loses a fifth of the datagrams each way,
// within the time `pigeon chat`, `send` and `bench` wait for a connect. With
// the Connect resent at doubling gaps (0, 1, 3, 7 s) and 5 s to connect,
// 82 of 1,000 seeded links gave up before the first byte (37 with 10 s): a
// room or a file "through a 20 % loss link" failed about one time in
// twelve. Now the gap stops growing at the initial RTO (a handshake
// datagram is small and the listener keeps no state for it) and the wait
// is 10 s: 0 of 1,000 (29 of 1,000 had the wait stayed 5 s).

#include "SimulatedLink.h"
#include "transport/TransportFactory.h"

#include <gtest/gtest.h>

namespace pigeon::transport::rudp {
namespace {

using test::SimulatedLink;

link::DirectionSpec lossy(double loss, std::uint64_t seed) {
  link::DirectionSpec spec;
  spec.delayNs = 5'000'000;
  spec.lossProbability = loss;
  spec.seed = seed;
  return spec;
}

TEST(RudpHandshake, ThroughTwentyPercentLossEachWayConnectsWithinTheDefaultWait) {
  constexpr int kSeeds = 300;
  const std::int64_t waitNs = kDefaultConnectTimeout.totalMicroseconds() * 1000;
  int failed = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SimulatedLink net(lossy(0.20, 2 * seed), lossy(0.20, 2 * seed + 1), RudpOptions{},
                      RudpOptions{});
    if (!net.connect(waitNs)) ++failed;
  }
  EXPECT_LE(failed, 1) << failed << " of " << kSeeds << " connects gave up";
}

}  // namespace
}  // namespace pigeon::transport::rudp
