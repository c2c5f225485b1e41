#include "metrics/JsonReport.h"

#include "ReportFixtures.h"
#include "metrics/CsvReport.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using pigeon::metrics::CsvReport;
using pigeon::metrics::JsonReport;
using pigeon::metrics::RunInfo;
using pigeon::metrics::TransportResult;
using pigeon::metrics::testing::sampleResults;
using pigeon::metrics::testing::sampleRun;
using Poco::JSON::Object;

namespace {

Object::Ptr writeAndParse(const RunInfo& run) {
  std::ostringstream out;
  JsonReport::write(out, run, sampleResults());
  Poco::JSON::Parser parser;
  return parser.parse(out.str()).extract<Object::Ptr>();
}

// Sorted: a parsed object does not keep the written order.
std::vector<std::string> keysOf(const Object::Ptr& o) {
  std::vector<std::string> keys;
  for (const auto& key : o->getNames()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> sorted(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

TEST(JsonReport, ParsesBackWithTheRunAtTheTop) {
  const auto doc = writeAndParse(sampleRun());
  EXPECT_EQ(keysOf(doc), sorted({"pigeon_version", "host", "timestamp", "settings", "results"}));
  EXPECT_EQ(doc->getValue<std::string>("pigeon_version"), "0.1.0");
  EXPECT_EQ(doc->getValue<std::string>("host"), "lab-host");
  EXPECT_EQ(doc->getObject("settings")->getValue<std::string>("loss"), "5%");
  EXPECT_EQ(doc->getArray("results")->size(), 2u);
}

TEST(JsonReport, NamesEveryResultFieldExactly) {
  const auto doc = writeAndParse(sampleRun());
  const auto udp = doc->getArray("results")->getObject(0);
  EXPECT_EQ(keysOf(udp), sorted({"transport",
                                 "error",
                                 "sent",
                                 "delivered",
                                 "lost",
                                 "corrupted",
                                 "duplicates",
                                 "reordered",
                                 "reorder_extent",
                                 "late",
                                 "latency_us",
                                 "jitter_us",
                                 "ipdv_us",
                                 "ipdv_p99_us",
                                 "throughput_mbps",
                                 "goodput_mbps",
                                 "socket_drops",
                                 "elapsed_s",
                                 "delivered_per_s",
                                 "retransmits",
                                 "rtt_us",
                                 "congestion_control",
                                 "counters",
                                 "met_impaired_link",
                                 "lost_outbound",
                                 "lost_return",
                                 "echo",
                                 "return_latency_us",
                                 "outbound_ipdv_us",
                                 "return_ipdv_us",
                                 "echo_processing_us",
                                 "behind_schedule"}));
  EXPECT_EQ(keysOf(udp->getObject("latency_us")),
            sorted({"min", "p50", "p90", "p99", "p999", "max", "mean"}));
}

TEST(JsonReport, WritesValuesAndNullForTheUnknown) {
  const auto doc = writeAndParse(sampleRun());
  const auto udp = doc->getArray("results")->getObject(0);
  const auto tcp = doc->getArray("results")->getObject(1);
  EXPECT_EQ(udp->getValue<std::string>("transport"), "udp");
  EXPECT_EQ(udp->getValue<std::uint64_t>("lost"), 50u);
  EXPECT_DOUBLE_EQ(udp->getObject("latency_us")->getValue<double>("p50"), 20.5);
  EXPECT_DOUBLE_EQ(udp->getValue<double>("throughput_mbps"), 8.25);
  EXPECT_TRUE(udp->getValue<bool>("met_impaired_link"));
  EXPECT_TRUE(udp->isNull("socket_drops"));
  EXPECT_TRUE(udp->isNull("retransmits"));
  EXPECT_TRUE(udp->isNull("rtt_us"));
  EXPECT_TRUE(udp->isNull("congestion_control"));
  EXPECT_TRUE(udp->isNull("lost_outbound"));
  EXPECT_EQ(tcp->getValue<std::uint64_t>("socket_drops"), 0u);
  EXPECT_EQ(tcp->getValue<std::uint64_t>("retransmits"), 61u);
  EXPECT_EQ(tcp->getValue<std::string>("congestion_control"), "cubic");
  EXPECT_EQ(tcp->getObject("counters")->getValue<std::uint64_t>("segments_out"), 1061u);
}

// A transport that failed measured nothing: its counts are null, not a 0
// that reads as "nothing lost" (results.md: never written as 0).
TEST(JsonReport, AFailedTransportHasNullCountsNotZeros) {
  TransportResult failed;
  failed.transport = "tcp";
  failed.error = "tcp connect to 127.0.0.1:1: connection refused";
  failed.counters["size_bytes"] = 64;
  std::ostringstream out;
  JsonReport::write(out, RunInfo{}, {failed});
  Poco::JSON::Parser parser;
  const auto doc = parser.parse(out.str()).extract<Poco::JSON::Object::Ptr>();
  const auto r = doc->getArray("results")->getObject(0);
  EXPECT_EQ(r->getValue<std::string>("error"), *failed.error);
  for (const char* key : {"sent", "delivered", "lost", "duplicates", "reordered", "reorder_extent",
                          "throughput_mbps", "goodput_mbps", "elapsed_s", "delivered_per_s"}) {
    EXPECT_TRUE(r->isNull(key)) << key;
  }
  EXPECT_EQ(r->getObject("counters")->getValue<std::uint64_t>("size_bytes"), 64u);
  // The same in the CSV: empty fields.
  const auto csv = CsvReport::toCsv({failed});
  EXPECT_EQ(csv.find(",0,"), std::string::npos) << csv;
}

TEST(JsonReport, WritesKeysInReportOrder) {
  std::ostringstream out;
  JsonReport::write(out, sampleRun(), sampleResults(), 0);
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("{\"pigeon_version\":\"0.1.0\",\"host\":", 0), 0u) << text;
  EXPECT_LT(text.find("\"transport\""), text.find("\"sent\""));
  EXPECT_LT(text.find("\"min\""), text.find("\"p50\""));
  EXPECT_EQ(text.back(), '\n');
}

TEST(JsonReport, FillsTheRunFromThisHostAndBuild) {
  const auto run = RunInfo::current({{"k", "v"}});
  EXPECT_EQ(run.version, PIGEON_VERSION);
  EXPECT_FALSE(run.host.empty());
  EXPECT_FALSE(run.timestamp.empty());
  EXPECT_EQ(run.settings.at("k"), "v");
}
