#include "metrics/TableReport.h"

#include "ReportFixtures.h"

#include <gtest/gtest.h>

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

// The row whose label starts with `label`, or "".
std::string rowOf(const std::vector<std::string>& lines, const std::string& label) {
  for (const auto& line : lines) {
    if (line.rfind(label, 0) == 0) return line;
  }
  return "";
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
  const auto lines = linesOf(TableReport::toTable(sampleResults()));
  for (const auto& line : lines) EXPECT_EQ(line.size(), lines[0].size()) << line;
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
