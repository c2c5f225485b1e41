#include "metrics/CsvReport.h"

#include "ReportFixtures.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

using pigeon::metrics::CsvReport;
using pigeon::metrics::testing::sampleResults;

namespace {

std::vector<std::string> split(const std::string& text, const std::string& separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at = text.find(separator); at != std::string::npos;
       at = text.find(separator, start)) {
    parts.push_back(text.substr(start, at - start));
    start = at + separator.size();
  }
  parts.push_back(text.substr(start));
  return parts;
}

}  // namespace

TEST(CsvReport, HasAHeaderOfTheJsonNamesWithNestedObjectsFlattened) {
  const auto lines = split(CsvReport::toCsv(sampleResults()), "\r\n");
  ASSERT_EQ(lines.size(), 4u);  // header, udp, tcp, and nothing after the last CRLF
  EXPECT_EQ(lines[3], "");
  EXPECT_EQ(split(lines[0], ","), (std::vector<std::string>{"transport",
                                                            "error",
                                                            "sent",
                                                            "delivered",
                                                            "lost",
                                                            "corrupted",
                                                            "duplicates",
                                                            "reordered",
                                                            "reorder_extent",
                                                            "late",
                                                            "latency_us_min",
                                                            "latency_us_p50",
                                                            "latency_us_p90",
                                                            "latency_us_p99",
                                                            "latency_us_p999",
                                                            "latency_us_max",
                                                            "latency_us_mean",
                                                            "jitter_us",
                                                            "ipdv_us",
                                                            "ipdv_p99_us",
                                                            "throughput_mbps",
                                                            "goodput_mbps",
                                                            "socket_drops",
                                                            "elapsed_s",
                                                            "delivered_per_s",
                                                            "retransmits",
                                                            "rtt_us_min",
                                                            "rtt_us_p50",
                                                            "rtt_us_p90",
                                                            "rtt_us_p99",
                                                            "rtt_us_p999",
                                                            "rtt_us_max",
                                                            "rtt_us_mean",
                                                            "congestion_control",
                                                            "met_impaired_link",
                                                            "lost_outbound",
                                                            "lost_return",
                                                            "echo",
                                                            "return_latency_us_min",
                                                            "return_latency_us_p50",
                                                            "return_latency_us_p90",
                                                            "return_latency_us_p99",
                                                            "return_latency_us_p999",
                                                            "return_latency_us_max",
                                                            "return_latency_us_mean",
                                                            "outbound_ipdv_us",
                                                            "return_ipdv_us",
                                                            "echo_processing_us",
                                                            "behind_schedule",
                                                            "counters_segments_out"}));
}

TEST(CsvReport, WritesOneRowPerTransportWithEmptyFieldsForNull) {
  const auto lines = split(CsvReport::toCsv(sampleResults()), "\r\n");
  const auto header = split(lines[0], ",");
  const auto udp = split(lines[1], ",");
  const auto tcp = split(lines[2], ",");
  ASSERT_EQ(udp.size(), header.size());
  ASSERT_EQ(tcp.size(), header.size());
  const auto column = [&](const std::vector<std::string>& row, const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return row[i];
    }
    return std::string("<no such column>");
  };
  EXPECT_EQ(column(udp, "transport"), "udp");
  EXPECT_EQ(column(udp, "lost"), "50");
  EXPECT_EQ(column(udp, "latency_us_p50"), "20.5");
  EXPECT_EQ(column(udp, "met_impaired_link"), "true");
  EXPECT_EQ(column(udp, "socket_drops"), "");
  EXPECT_EQ(column(udp, "rtt_us_p50"), "");
  EXPECT_EQ(column(udp, "counters_segments_out"), "");
  EXPECT_EQ(column(tcp, "socket_drops"), "0");
  EXPECT_EQ(column(tcp, "congestion_control"), "cubic");
  EXPECT_EQ(column(tcp, "counters_segments_out"), "1061");
}

TEST(CsvReport, QuotesAFieldWithACommaOrQuote) {
  auto results = sampleResults();
  results[0].transport = "udp, \"raw\"";
  const auto csv = CsvReport::toCsv(results);
  EXPECT_NE(csv.find("\r\n\"udp, \"\"raw\"\"\","), std::string::npos) << csv;
}
