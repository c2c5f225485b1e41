#include "bench/EchoStamp.h"

#include <gtest/gtest.h>

using namespace pigeon::bench;

TEST(EchoStamp, AllFourFieldsRoundTripWhereTheProbeHasRoom) {
  pigeon::wire::Bytes payload(kEchoFullStampBytes, 0);
  stampEcho(payload, EchoStamps{100, 250, 7, 0b101});
  const auto s = readEchoStamps(payload);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->receivedNs, 100);
  EXPECT_EQ(s->repliedNs, 250);
  EXPECT_EQ(s->received, 7u);
  EXPECT_EQ(s->seenBelow, 0b101u);
}

TEST(EchoStamp, AShortProbeGetsOnlyTheReceiveTimeAndAnOlderEchoReadsAsNotGiven) {
  pigeon::wire::Bytes shortProbe(16, 0);
  stampEcho(shortProbe, EchoStamps{100, 250, 7, 1});
  EXPECT_EQ(readEchoStamps(shortProbe)->repliedNs, 0);  // no room: not given
  // An echo that writes only the receive time leaves the probe's zeros.
  pigeon::wire::Bytes old(kEchoFullStampBytes, 0);
  stampEcho(old, std::int64_t{100});
  EXPECT_EQ(readEchoStamps(old)->repliedNs, 0);
  EXPECT_EQ(readEchoStamps(old)->receivedNs, 100);
}

TEST(EchoStamp, SeenWindowSaysWhichOfTheSixtyFourBelowArrived) {
  SeenWindow w;
  EXPECT_EQ(w.record(0), 0u);
  EXPECT_EQ(w.record(1), 0b1u);      // 0 seen
  EXPECT_EQ(w.record(4), 0b1100u);   // 3, 2 missing; 1, 0 seen
  EXPECT_EQ(w.record(2), 0b11u);     // late: 1 and 0 below it
  EXPECT_EQ(w.record(5), 0b11101u);  // 4 seen, 3 missing, 2, 1, 0 seen
  EXPECT_EQ(w.record(200), 0u);      // everything below is beyond the window
  EXPECT_EQ(w.record(199), 0u);      // nothing below 199 seen within 64
  EXPECT_EQ(w.record(201), 0b11u);   // 200 and 199
  EXPECT_EQ(w.record(100), 0u);      // too far below to say
}
