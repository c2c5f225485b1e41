#include "bench/BenchRunner.h"
#include "bench/BenchSettings.h"
#include "bench/BenchSink.h"
#include "bench/EchoStamp.h"

#include <gtest/gtest.h>

using namespace pigeon::bench;

TEST(Reports, CarryA64BitCountAndRefuseAnyOtherSize) {
  const auto bytes = encodeCount(0x0102030405060708ULL);
  ASSERT_EQ(bytes.size(), 8u);
  EXPECT_EQ(bytes[0], 0x01);
  EXPECT_EQ(decodeCount(bytes), 0x0102030405060708ULL);
  const pigeon::wire::Bytes seven(7);
  EXPECT_FALSE(decodeCount(seven).has_value());
}

TEST(EchoStamp, IsWrittenOnlyWhereTheProbeHasRoom) {
  pigeon::wire::Bytes room(16, 0xAA);
  stampEcho(room, 123456789);
  EXPECT_EQ(readEchoStamp(room), 123456789);
  EXPECT_EQ(room[8], 0xAA);  // the rest is untouched
  pigeon::wire::Bytes small(4, 0xAA);
  stampEcho(small, 1);
  EXPECT_EQ(small, pigeon::wire::Bytes(4, 0xAA));
  EXPECT_FALSE(readEchoStamp(small).has_value());
}

TEST(BenchSettings, NamesEveryPatternBothWays) {
  for (const char* name : {"stream", "pingpong", "burst", "under-load"}) {
    const auto pattern = parsePattern(name);
    ASSERT_TRUE(pattern.has_value()) << name;
    EXPECT_EQ(patternName(*pattern), name);
  }
  EXPECT_FALSE(parsePattern("flood").has_value());
}

TEST(BenchRunner, TellsThisHostsAddressesFromOthers) {
  EXPECT_TRUE(isLocalAddress(Poco::Net::SocketAddress("127.0.0.1", 9000)));
  EXPECT_TRUE(isLocalAddress(Poco::Net::SocketAddress("::1", 9000)));
  // TEST-NET-3 (RFC 5737): documentation only, never a local interface.
  EXPECT_FALSE(isLocalAddress(Poco::Net::SocketAddress("203.0.113.7", 9000)));
}
