// End-to-end: `pigeon bench` and `pigeon echo` as a student runs them.

#include "ChildProcess.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/Application.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using pigeon::testing::ChildProcess;
using App = Poco::Util::Application;
using Poco::JSON::Object;

namespace {

const std::string kPeers = PIGEON_TEST_PEERS;

std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "/pigeon-" + std::to_string(::getpid()) + "-" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome bench(std::vector<std::string> args,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(60'000)) {
  args.insert(args.begin(), {PIGEON_BINARY, "bench"});
  ChildProcess p(args);
  p.closeStdin();
  const auto code = p.wait(timeout);
  return {code.value_or(-1), p.out(), p.err()};
}

Object::Ptr benchJson(std::vector<std::string> args) {
  const std::string path = tempPath("bench.json");
  args.push_back("--json");
  args.push_back(path);
  const Outcome run = bench(args);
  EXPECT_EQ(run.code, 0) << run.err << run.out;
  Poco::JSON::Parser parser;
  auto json = parser.parse(slurp(path)).extract<Object::Ptr>();
  std::remove(path.c_str());
  return json;
}

Object::Ptr result(const Object::Ptr& json, std::size_t i) {
  return json->getArray("results")->getObject(static_cast<unsigned>(i));
}

}  // namespace

TEST(Bench, WithNoArgumentsComparesUdpTcpAndRudpOnLoopbackInOneTable) {
  // The defaults, shortened: the bare command runs 10000 messages a side.
  const Outcome run = bench({"--count", "2000", "--rate", "20000"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("64-byte messages"), std::string::npos) << run.out;
  std::istringstream lines(run.out);
  std::string line;
  bool header = false, delivered = false, latency = false;
  while (std::getline(lines, line)) {
    if (line.rfind("metric", 0) == 0 && line.find("udp") != std::string::npos &&
        line.find("tcp") != std::string::npos && line.find("rudp") != std::string::npos) {
      header = true;
    }
    if (line.rfind("  delivered (msgs)", 0) == 0) {  // under the "delivery" heading
      delivered = line.find("2000") != std::string::npos;
    }
    if (line.rfind("  latency p99 (us)", 0) == 0) latency = true;
  }
  EXPECT_TRUE(header) << run.out;
  EXPECT_TRUE(delivered) << run.out;
  EXPECT_TRUE(latency) << run.out;
}

TEST(Bench, JsonRecordsSettingsVersionHostAndEveryResultField) {
  const auto json =
      benchJson({"-t", "udp,tcp", "--count", "1000", "--rate", "20000", "--deadline", "50"});
  EXPECT_TRUE(json->has("pigeon_version"));
  EXPECT_TRUE(json->has("host"));
  EXPECT_EQ(json->getObject("settings")->getValue<std::string>("pattern"), "stream");
  ASSERT_EQ(json->getArray("results")->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto r = result(json, i);
    for (const char* key :
         {"transport", "sent", "delivered", "lost", "duplicates", "reordered", "reorder_extent",
          "late", "latency_us", "jitter_us", "ipdv_us", "throughput_mbps", "goodput_mbps",
          "socket_drops", "elapsed_s", "delivered_per_s"}) {
      EXPECT_TRUE(r->has(key)) << key;
    }
    EXPECT_EQ(r->getValue<std::uint64_t>("sent"), 1000u);
    EXPECT_EQ(r->getValue<std::uint64_t>("lost"),
              r->getValue<std::uint64_t>("sent") - r->getValue<std::uint64_t>("delivered"));
    for (const char* p : {"min", "p50", "p90", "p99", "p999", "max", "mean"}) {
      EXPECT_TRUE(r->getObject("latency_us")->has(p)) << p;
    }
  }
  const auto tcp = result(json, 1);
  EXPECT_EQ(tcp->getValue<std::string>("transport"), "tcp");
  EXPECT_TRUE(tcp->has("retransmits"));
  EXPECT_FALSE(tcp->getValue<std::string>("congestion_control").empty());
  EXPECT_TRUE(tcp->isNull("socket_drops"));
}

TEST(Bench, AnImpairedLinkLosesUdpMessagesAndSaysTcpDidNotMeetIt) {
  const auto json = benchJson({"-t", "udp,tcp", "--count", "4000", "--rate", "20000", "--link",
                               "loss=20%,seed=3", "--drain", "200"});
  const auto udp = result(json, 0);
  const auto tcp = result(json, 1);
  ASSERT_EQ(udp->getValue<std::string>("transport"), "udp");
  EXPECT_TRUE(udp->getValue<bool>("met_impaired_link"));
  EXPECT_FALSE(tcp->getValue<bool>("met_impaired_link"));
  // 20% of 4000: the binomial 99.9% interval is about 800 +- 83.
  const auto lost = udp->getValue<std::uint64_t>("lost");
  EXPECT_GT(lost, 700u);
  EXPECT_LT(lost, 900u);
  EXPECT_EQ(udp->getValue<std::uint64_t>("socket_drops"), 0u);
  // Every loss is accounted for: the link's own, or the relay's when a busy
  // machine made it fall behind.
  const auto counters = udp->getObject("counters");
  EXPECT_EQ(counters->getValue<std::uint64_t>("link_dropped") +
                counters->getValue<std::uint64_t>("relay_overflow") +
                counters->getValue<std::uint64_t>("relay_socket_drops"),
            lost);
  EXPECT_EQ(tcp->getValue<std::uint64_t>("lost"), 0u);
}

TEST(Bench, EveryLostMessageIsALinkOrRelayDropAndNoControlFrameIsCountedAsOne) {
  // Small counts, where the final count, its answer and their repeats are
  // many of the datagrams: seed 7 used to show link_dropped 4 with lost 0.
  for (const auto& [count, seed] : std::vector<std::pair<std::string, std::string>>{
           {"1", "7"}, {"1", "1"}, {"5", "4"}, {"20", "9"}, {"50", "11"}}) {
    const auto json = benchJson({"-t", "udp", "--count", count, "--link", "loss=50%,seed=" + seed});
    const auto udp = result(json, 0);
    const auto counters = udp->getObject("counters");
    EXPECT_EQ(counters->getValue<std::uint64_t>("link_dropped") +
                  counters->getValue<std::uint64_t>("relay_overflow") +
                  counters->getValue<std::uint64_t>("relay_socket_drops"),
              udp->getValue<std::uint64_t>("lost"))
        << "count " << count << " seed " << seed;
    EXPECT_TRUE(counters->has("link_control_dropped"));
  }
}

TEST(Bench, ACorruptingLinkLosesOnlyTheCorruptedMessagesAndCountsThem) {
  // Seed 5 changes a byte of the sequence number of message 257 (to
  // 15008001): unchecked, that number became "the highest seen" and every
  // later message was too old, so 263 of 20000 were delivered.
  const auto json =
      benchJson({"-t", "udp", "--count", "5000", "--rate", "20000", "--link", "corrupt=1%,seed=5"});
  const auto udp = result(json, 0);
  const auto sent = udp->getValue<std::uint64_t>("sent");
  const auto lost = udp->getValue<std::uint64_t>("lost");
  ASSERT_EQ(sent, 5000u);
  ASSERT_FALSE(udp->isNull("corrupted"));
  const auto corrupted = udp->getValue<std::uint64_t>("corrupted");
  const auto counters = udp->getObject("counters");
  const auto malformed = counters->getValue<std::uint64_t>("malformed");
  const auto linkCorrupted = counters->getValue<std::uint64_t>("link_corrupted");
  // 1% of 5000: about 50 copies changed, each detected (CRC-32 catches any
  // one changed byte) as corrupted, or as malformed when the byte broke the
  // header; a corrupted report or its answer is no lost message.
  EXPECT_GT(linkCorrupted, 20u);
  EXPECT_LT(linkCorrupted, 90u);
  EXPECT_GT(corrupted, 0u);
  EXPECT_LE(corrupted + malformed, linkCorrupted);
  EXPECT_LE(lost, corrupted + malformed);
  EXPECT_GE(lost + 3, corrupted + malformed);
  EXPECT_EQ(counters->getValue<std::uint64_t>("link_dropped"), 0u);
  EXPECT_FALSE(counters->has("too_old"));
  // A changed send time is never delivered either: no latency below the
  // loopback's, no IPDV of seconds.
  EXPECT_GT(udp->getObject("latency_us")->getValue<double>("min"), 0.0);
  EXPECT_LT(udp->getValue<double>("ipdv_us"), 10'000.0);
}

TEST(Bench, IpdvUnderReorderingIsTheDelayDifferenceOfConsecutiveNumbers) {
  // Jitter of sigma = 5 ms reorders most messages at 10000/s. RFC 5481 IPDV
  // of independent normal delays has a mean |IPDV| of 2 sigma / sqrt(pi) =
  // 5.64 ms; counting only pairs that arrive back to back gave 0.23 ms.
  // 2000 pairs: the mean's standard error is about 0.1 ms, and this seed's
  // draw measures 5.58 ms on an idle machine. The delays measured also carry
  // the relay's and the receiver's scheduling noise: spread over a run it
  // adds in quadrature (about 3 ms of it at load 8 or under ThreadSanitizer
  // gave 6.6-6.8 ms); a stall of the receiver reads the messages queued
  // meanwhile at one instant, which makes their delays alike and the mean
  // smaller (4.75 ms in one CI run). So up to three attempts: the old
  // understatement fails every one, a stall only the run it hit.
  std::string attempts;
  bool inside = false;
  for (int attempt = 0; attempt < 3 && !inside; ++attempt) {
    const auto json = benchJson({"-t", "udp", "--count", "2000", "--rate", "10000", "--link",
                                 "delay=20ms,jitter=5ms,seed=8"});
    const auto udp = result(json, 0);
    EXPECT_GT(udp->getValue<std::uint64_t>("reordered"), 1000u);
    const double ipdv = udp->getValue<double>("ipdv_us");
    inside = ipdv > 4'900.0 && ipdv < 7'200.0;
    attempts += " " + std::to_string(ipdv) + " us";
  }
  EXPECT_TRUE(inside) << "no attempt's IPDV inside (4900, 7200) us:" << attempts;
}

TEST(Bench, RudpDeliversEverythingThroughALossyLinkAndShowsWhatItCost) {
  for (const std::string delivery : {"ordered", "unordered"}) {
    const auto json = benchJson({"-t", "udp,rudp", "--count", "3000", "--rate", "10000", "--link",
                                 "loss=10%,seed=5", "--delivery", delivery});
    const auto udp = result(json, 0);
    const auto rudp = result(json, 1);
    EXPECT_GT(udp->getValue<std::uint64_t>("lost"), 0u);
    EXPECT_TRUE(rudp->getValue<bool>("met_impaired_link"));
    EXPECT_EQ(rudp->getValue<std::uint64_t>("delivered"), 3000u) << delivery;
    EXPECT_EQ(rudp->getValue<std::uint64_t>("lost"), 0u);
    EXPECT_EQ(rudp->getValue<std::uint64_t>("duplicates"), 0u);
    if (delivery == "ordered") {
      EXPECT_EQ(rudp->getValue<std::uint64_t>("reordered"), 0u);
    }
    const auto counters = rudp->getObject("counters");
    EXPECT_GT(counters->getValue<std::uint64_t>("datagrams_sent"), 3000u);
    EXPECT_GT(rudp->getValue<std::uint64_t>("retransmits"), 0u);
    for (const char* key : {"retransmits_timeout", "retransmits_fast", "spurious_retransmits",
                            "duplicates_discarded", "srtt_us", "rto_us"}) {
      EXPECT_TRUE(counters->has(key)) << key;
    }
  }
}

TEST(Bench, LateMessagesAreCountedAgainstTheDeadline) {
  const auto json = benchJson({"-t", "udp", "--count", "300", "--rate", "3000", "--link",
                               "delay=20ms", "--deadline", "10"});
  const auto udp = result(json, 0);
  EXPECT_EQ(udp->getValue<std::uint64_t>("delivered"), 300u);
  EXPECT_EQ(udp->getValue<std::uint64_t>("late"), 300u);
  EXPECT_GE(udp->getObject("latency_us")->getValue<double>("min"), 20'000.0);
}

TEST(Bench, PingPongMeasuresRoundTripsAndSplitsLossByDirection) {
  const auto json = benchJson({"-t", "udp,tcp", "--pattern", "pingpong", "--count", "300"});
  for (std::size_t i = 0; i < 2; ++i) {
    const auto r = result(json, i);
    EXPECT_EQ(r->getValue<std::uint64_t>("delivered"), 300u);
    EXPECT_TRUE(r->has("rtt_us"));
    EXPECT_GT(r->getObject("rtt_us")->getValue<double>("p50"), 0.0);
    EXPECT_EQ(r->getValue<std::uint64_t>("lost_outbound"), 0u);
    EXPECT_EQ(r->getValue<std::uint64_t>("lost_return"), 0u);
  }
}

TEST(Bench, BurstUnderLoadAndASizeSweepRun) {
  const auto burst = benchJson({"--pattern", "burst", "--burst", "50", "--count", "1000"});
  EXPECT_EQ(result(burst, 0)->getValue<std::uint64_t>("sent"), 1000u);
  const auto load = benchJson(
      {"--pattern", "under-load", "--duration", "0.5", "--rate", "20000", "--probe-rate", "200"});
  EXPECT_GT(result(load, 0)->getValue<std::uint64_t>("delivered"), 50u);
  const auto sweep = benchJson({"-t", "udp", "--size", "64,1400", "--count", "500"});
  ASSERT_EQ(sweep->getArray("results")->size(), 2u);
  EXPECT_GT(result(sweep, 1)->getValue<double>("goodput_mbps"),
            result(sweep, 0)->getValue<double>("goodput_mbps"));
}

TEST(Bench, LogHasOneJsonLinePerReceivedMessage) {
  const std::string log = tempPath("bench.log");
  const Outcome run = bench({"-t", "udp", "--count", "200", "--log", log});
  ASSERT_EQ(run.code, 0) << run.err;
  std::istringstream lines(slurp(log));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    Poco::JSON::Parser parser;
    const auto entry = parser.parse(line).extract<Object::Ptr>();
    EXPECT_EQ(entry->getValue<std::uint64_t>("seq"), static_cast<std::uint64_t>(n));
    ++n;
  }
  EXPECT_EQ(n, 200);
  std::remove(log.c_str());
}

// The kernel stamps a datagram when its socket queues it, after the sender
// stamped it: a one-way latency below zero is the conversion from the
// kernel's realtime clock to the steady one going wrong. It did, by up to
// 30 us, in 2 of 3 such runs here: the two clocks were read one after the
// other, and a thread kept from the second read moved every stamp of its
// batch earlier by as long. Three runs of 50,000 datagrams; each latency in
// the log must be >= 0 (the log has microseconds with a tenth).
TEST(Bench, KernelStampedOneWayLatenciesAreNeverBelowZero) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string log = tempPath("kernel-stamps.log");
    const Outcome run = bench(
        {"-t", "udp", "--count", "50000", "--rate", "50000", "--kernel-stamps", "--log", log});
    ASSERT_EQ(run.code, 0) << run.err;
    std::istringstream lines(slurp(log));
    std::string line;
    int arrivals = 0;
    double lowest = 1e9;
    while (std::getline(lines, line)) {
      Poco::JSON::Parser parser;
      const auto entry = parser.parse(line).extract<Object::Ptr>();
      if (!entry->has("latency_us")) continue;
      ++arrivals;
      lowest = std::min(lowest, entry->getValue<double>("latency_us"));
    }
    std::remove(log.c_str());
    // Enough to judge by; under ThreadSanitizer the slowed receiver's
    // socket drops some (44,992 of 50,000 arrived once in CI's tsan stage).
    EXPECT_GT(arrivals, 10'000) << run.out;
    EXPECT_GE(lowest, 0.0) << "run " << attempt << ": a one-way latency of " << lowest << " us";
  }
}

TEST(Bench, RudpLogsItsCountersOverTimeBesideTheArrivals) {
  const std::string log = tempPath("rudp.log");
  const Outcome run = bench({"-t", "rudp", "--count", "3000", "--rate", "10000", "--link",
                             "loss=5%,seed=3", "--log", log});
  ASSERT_EQ(run.code, 0) << run.err;
  std::istringstream lines(slurp(log));
  std::string line;
  int arrivals = 0, samples = 0;
  while (std::getline(lines, line)) {
    Poco::JSON::Parser parser;
    const auto entry = parser.parse(line).extract<Object::Ptr>();
    if (entry->has("counters")) {
      ++samples;
      EXPECT_TRUE(entry->getObject("counters")->has("rto_us"));
    } else {
      ++arrivals;
    }
  }
  EXPECT_EQ(arrivals, 3000);
  EXPECT_GE(samples, 5);  // a 0.3 s run, sampled every 10 ms
  std::remove(log.c_str());
}

TEST(Bench, BadOptionsAreOneLineNamingTheOption) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--pattern", "flood"}, "--pattern"},
      {{"--size", "10"}, "--size"},
      {{"--transport", "udp,sctp"}, "sctp"},
      {{"--count", "0"}, "--count"},
      {{"--rate", "-5"}, "--rate"},
      {{"--link", "los=5%"}, "los"},
      {{"--count", "5", "--duration", "1"}, "--duration"},
      {{"--target", "nowhere"}, "nowhere"},
  };
  for (const auto& [args, named] : cases) {
    const Outcome run = bench(args);
    EXPECT_EQ(run.code, App::EXIT_USAGE) << named << ": " << run.err;
    EXPECT_NE(run.err.find(named), std::string::npos) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

TEST(Echo, ServesBenchAcrossTheNetworkAndReportsItsCountersOnInterrupt) {
  ChildProcess echo({PIGEON_BINARY, "echo", "--listen", "0", "--bind", "127.0.0.1"});
  const int port = echo.listeningPort("serving udp on ");
  ASSERT_GT(port, 0) << echo.err();
  ASSERT_TRUE(echo.waitForStderr("serving tcp on")) << echo.err();
  const auto json = benchJson(
      {"-t", "udp,tcp", "--target", "127.0.0.1:" + std::to_string(port), "--count", "200"});
  EXPECT_EQ(json->getObject("settings")->getValue<std::string>("pattern"), "pingpong");
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(result(json, i)->getValue<std::uint64_t>("delivered"), 200u);
    EXPECT_EQ(result(json, i)->getValue<std::uint64_t>("lost_outbound"), 0u);
  }
  // Garbage that claims to be a frame is counted and dropped; plain text is echoed.
  ChildProcess junk({"python3", kPeers + "/raw_sender.py", "127.0.0.1", std::to_string(port),
                     R"(b'PG\x01\x01garbage')"});
  EXPECT_EQ(junk.wait(), 0);
  ChildProcess script({"python3", kPeers + "/lockstep_client.py", "udp", "127.0.0.1",
                       std::to_string(port), "echo me"});
  EXPECT_TRUE(script.waitForStdout("got: echo me\n")) << script.err();
  echo.signal(SIGINT);
  EXPECT_EQ(echo.wait(), 0) << echo.err();
  EXPECT_NE(echo.err().find("malformed 1"), std::string::npos) << echo.err();
}
