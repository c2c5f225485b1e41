#include "metrics/RunHeadline.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

using pigeon::metrics::RunHeadline;

namespace {

RunHeadline::Facts countedRun() {
  RunHeadline::Facts facts;
  facts.describe = {{"pattern", "stream"},        {"count", "1000"},
                    {"duration_s", "2"},          {"rate_per_s", "500"},
                    {"target", "127.0.0.1:9000"}, {"one_way_clock", "same host"}};
  return facts;
}

std::string written(const RunHeadline::Facts& facts) {
  std::ostringstream out;
  RunHeadline::write(out, facts);
  return out.str();
}

TEST(RunHeadline, CountedRunAsFastAsPossibleIsTwoLines) {
  EXPECT_EQ(written(countedRun()),
            "pigeon bench: stream, 1000 messages, as fast as possible, target 127.0.0.1:9000\n"
            "one-way latency clock: same host\n");
}

TEST(RunHeadline, TimedPacedRunSaysSecondsAndRate) {
  RunHeadline::Facts facts = countedRun();
  facts.timed = true;
  facts.paced = true;
  EXPECT_EQ(written(facts).substr(0, written(facts).find('\n')),
            "pigeon bench: stream, 2 s at 500/s, target 127.0.0.1:9000");
}

TEST(RunHeadline, PingPongWithoutRateSaysOneInFlight) {
  RunHeadline::Facts facts = countedRun();
  facts.pingPong = true;
  EXPECT_NE(written(facts).find("1000 messages, one in flight, target"), std::string::npos);
}

TEST(RunHeadline, LabProbeAndInterruptLinesInOrder) {
  RunHeadline::Facts facts = countedRun();
  facts.describe["probe_timeout"] = "1000 ms";
  facts.lab = RunHeadline::Lab{"loss=2%,seed=1", "10.0.0.1", "10.0.0.2"};
  facts.interrupted = "after 3 of 6 cases";
  const std::string text = written(facts);
  const auto lab = text.find(
      "impaired link: loss=2%,seed=1 (lab, engine tun: every transport crosses the same "
      "emulated link, near 10.0.0.1 -> far 10.0.0.2)\n");
  const auto probe = text.find("lost probe: no reply within the timeout, 1000 ms\n");
  const auto stop = text.find("INTERRUPTED (Ctrl-C) after 3 of 6 cases: nothing had finished\n");
  ASSERT_NE(lab, std::string::npos);
  ASSERT_NE(probe, std::string::npos);
  ASSERT_NE(stop, std::string::npos);
  EXPECT_LT(lab, probe);
  EXPECT_LT(probe, stop);

  facts.anyFinished = true;
  EXPECT_NE(written(facts).find(": below is only what finished before it\n"), std::string::npos);
}

TEST(RunHeadline, LinkLinesNameSeedSourcesUnusedSeedAndTcp) {
  RunHeadline::Facts facts = countedRun();
  RunHeadline::ImpairedLink link;
  link.spec = "loss=1%,seed=7";
  link.udpTransports = {"udp", "rudp"};
  link.tcpBeside = true;
  link.up = "loss 1%";
  link.down = "loss 1%";
  link.upSeedSource = "the spec";
  link.downSeedSource = "the spec";
  link.unusedSeed = "9";
  facts.link = link;
  const std::string text = written(facts);
  EXPECT_NE(text.find("impaired link: loss=1%,seed=7 (applies to udp rudp)\n"
                      "  up:   loss 1% (seed from the spec)\n"
                      "  down: loss 1% (seed from the spec)\n"
                      "  --seed 9 not used: the spec seeds both directions (a seed in the spec "
                      "wins)\n"
                      "  tcp cannot cross a UDP relay: its column is a clean loopback, not a "
                      "comparison on the same link\n"),
            std::string::npos);
}

TEST(RunHeadline, LinkWithOnlyTcpAppliesToNone) {
  RunHeadline::Facts facts = countedRun();
  facts.link = RunHeadline::ImpairedLink{};
  facts.link->spec = "delay=5ms";
  facts.link->tcpBeside = true;
  EXPECT_NE(written(facts).find("impaired link: delay=5ms (applies to none)\n"), std::string::npos);
  EXPECT_EQ(written(facts).find("--seed"), std::string::npos);
}

}  // namespace
