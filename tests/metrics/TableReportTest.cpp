#include "metrics/TableReport.h"

#include "ReportFixtures.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using pigeon::metrics::TableReport;
using pigeon::metrics::testing::sampleResults;

namespace {

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> wordsOf(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// The row whose label (after the group's indent) starts with `label`, or "".
std::string rowOf(const std::vector<std::string>& lines, const std::string& label) {
  for (const auto& line : lines) {
    const auto start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, label.size(), label) == 0) return line;
  }
  return "";
}

// The index of the line equal to `text`, or -1.
int lineIndex(const std::vector<std::string>& lines, const std::string& text) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == text) return static_cast<int>(i);
  }
  return -1;
}

// The table's own lines: the header, the rule, headings and rows, up to the legend.
std::vector<std::string> tableLines(const std::vector<std::string>& lines) {
  std::vector<std::string> table;
  for (const auto& line : lines) {
    if (line.rfind("legend:", 0) == 0) break;
    table.push_back(line);
  }
  return table;
}

}  // namespace

TEST(TableReport, HasOneColumnPerTransport) {
  const auto lines = linesOf(TableReport::toTable(sampleResults()));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(wordsOf(lines[0]), (std::vector<std::string>{"metric", "udp", "tcp"}));
  EXPECT_EQ(wordsOf(lines[1]).size(), 3u);  // the rule under the header
  EXPECT_EQ(wordsOf(rowOf(lines, "lost")), (std::vector<std::string>{"lost", "(msgs)", "50", "0"}));
}

TEST(TableReport, AlignsEveryRow) {
  const auto lines = tableLines(linesOf(TableReport::toTable(sampleResults())));
  for (const auto& line : lines) {
    if (line.find("  ") == std::string::npos) continue;  // a group's heading
    EXPECT_EQ(line.size(), lines[0].size()) << line;
  }
}

TEST(TableReport, GroupsRowsUnderHeadingsInTheOrderTheDocsGive) {
  auto results = sampleResults();
  results[0].counters["link_dropped"] = 50;
  results[0].counters["send_slip_p99_us"] = 12;
  const auto lines = linesOf(TableReport::toTable(results));
  std::vector<int> at;
  for (const char* heading :
       {"delivery", "latency", "jitter", "throughput", "run", "transport's own counters", "link"}) {
    at.push_back(lineIndex(lines, heading));
    EXPECT_GE(at.back(), 0) << heading;
  }
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end()));
  // Each row is under its own group's heading, indented, whatever the field order.
  const auto under = [&](const std::string& row, const std::string& heading) {
    const int h = lineIndex(lines, heading);
    for (int i = h + 1; i < static_cast<int>(lines.size()) && lines[i].rfind("  ", 0) == 0; ++i) {
      if (lines[i].rfind("  " + row, 0) == 0) return true;
    }
    return false;
  };
  EXPECT_TRUE(under("socket drops", "delivery"));
  EXPECT_TRUE(under("late", "delivery"));
  EXPECT_TRUE(under("ipdv p99", "jitter"));
  EXPECT_TRUE(under("elapsed", "throughput"));
  EXPECT_TRUE(under("send slip p99", "run"));
  EXPECT_TRUE(under("retransmits", "transport's own counters"));
  EXPECT_TRUE(under("segments out", "transport's own counters"));
  EXPECT_TRUE(under("met impaired link", "link"));
  EXPECT_TRUE(under("link dropped", "link"));
}

TEST(TableReport, HasALegendAndExplainsEachRowShownInOneLineFromTheDocs) {
  const auto plain = linesOf(TableReport::toTable(sampleResults()));
  EXPECT_GE(lineIndex(plain,
                      "legend: n/a = does not apply to that transport; - = its run "
                      "failed; --explain says what each row means"),
            0);
  EXPECT_EQ(lineIndex(plain, "what the rows mean (docs/results.md):"), -1);

  TableReport::Options options;
  options.explain = true;
  const auto lines = linesOf(TableReport::toTable(sampleResults(), options));
  const int from = lineIndex(lines, "what the rows mean (docs/results.md):");
  ASSERT_GE(from, 0);
  const std::vector<std::string> meanings(lines.begin() + from + 1, lines.end());
  EXPECT_NE(std::find(meanings.begin(), meanings.end(), "  sent: messages the sender says it sent"),
            meanings.end());
  EXPECT_NE(std::find(meanings.begin(), meanings.end(),
                      "  latency (min .. mean): one-way delay, arrival minus send time (in echo "
                      "mode the outbound half, from pigeon echo's receive stamp)"),
            meanings.end());
  // One line per row shown (a latency's seven percentiles share one), none for rows left out.
  std::size_t rows = 0;
  for (const auto& line : tableLines(lines)) {
    if (line.rfind("  ", 0) == 0 && line.find("latency p") == std::string::npos &&
        line.find("latency max") == std::string::npos &&
        line.find("latency mean") == std::string::npos) {
      ++rows;
    }
  }
  EXPECT_EQ(meanings.size(), rows);
  for (const auto& line : meanings) EXPECT_EQ(line.find("rtt"), std::string::npos) << line;
}

TEST(TableReport, InEchoModeSaysWhichRowsAreOneWayAndWhichRoundTrip) {
  auto results = sampleResults();
  for (auto& r : results) {
    r.echo = "pigeon";
    r.rttUs = pigeon::metrics::LatencySummary{30, 40, 50, 60, 70, 80, 45};
  }
  const auto lines = linesOf(TableReport::toTable(results));
  EXPECT_NE(rowOf(lines, "outbound latency p50 (us)"), "");
  EXPECT_NE(rowOf(lines, "outbound jitter (us)"), "");
  EXPECT_NE(rowOf(lines, "round trip p50 (us)"), "");
  EXPECT_NE(rowOf(lines, "ipdv round trip mean |d| (us)"), "");
  EXPECT_NE(rowOf(lines, "reordered round trip (msgs)"), "");
  EXPECT_EQ(rowOf(lines, "latency p50"), "");
  EXPECT_EQ(rowOf(lines, "jitter (us)"), "");
}

TEST(TableReport, WarnsWhenASenderFellBehindItsSchedule) {
  auto results = sampleResults();
  const auto calm = TableReport::toTable(results);
  EXPECT_EQ(calm.find("WARNING"), std::string::npos) << calm;
  results[1].behindSchedule = true;
  results[0].behindSchedule = false;
  const auto lines = linesOf(TableReport::toTable(results));
  EXPECT_GE(lineIndex(lines,
                      "WARNING: the sender fell behind its schedule (tcp: send slip p99 "
                      "above 1 ms): these figures describe a busy machine as much as the "
                      "network"),
            0);
  EXPECT_EQ(wordsOf(rowOf(lines, "behind schedule")),
            (std::vector<std::string>{"behind", "schedule", "no", "yes"}));
}

TEST(TableReport, ShowsUnitsAndNullAsNa) {
  const auto lines = linesOf(TableReport::toTable(sampleResults()));
  EXPECT_EQ(wordsOf(rowOf(lines, "latency p50")),
            (std::vector<std::string>{"latency", "p50", "(us)", "20.5", "20.5"}));
  EXPECT_EQ(wordsOf(rowOf(lines, "retransmits")),
            (std::vector<std::string>{"retransmits", "n/a", "61"}));
  // A counter's name is read as words.
  EXPECT_EQ(wordsOf(rowOf(lines, "segments out")),
            (std::vector<std::string>{"segments", "out", "n/a", "1061"}));
}

TEST(TableReport, LeavesOutRowsUnknownForEveryTransport) {
  const auto table = TableReport::toTable(sampleResults());
  EXPECT_EQ(table.find("rtt"), std::string::npos);
  EXPECT_EQ(table.find("lost outbound"), std::string::npos);
}
