// End-to-end: `pigeon bench --explain` says what each row means, in the
// words of docs/results.md.

#include "ChildProcess.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using pigeon::testing::ChildProcess;

TEST(BenchExplain, EachRowShownGetsOneLineAndEveryLineIsTheDocsDefinition) {
  ChildProcess p({PIGEON_BINARY, "bench", "-t", "udp,tcp", "--count", "300", "--rate", "20000",
                  "--link", "loss=1%,seed=2", "--explain"});
  p.closeStdin();
  ASSERT_EQ(p.wait(std::chrono::milliseconds(30'000)), 0) << p.err();
  std::ifstream docsFile(std::string(PIGEON_TEST_PEERS) + "/../../../docs/results.md");
  std::stringstream docs;
  docs << docsFile.rdbuf();
  ASSERT_FALSE(docs.str().empty());

  std::istringstream out(p.out());
  std::vector<std::string> rows, meanings;
  bool inMeanings = false, inTable = false;
  for (std::string line; std::getline(out, line);) {
    if (line.rfind("metric", 0) == 0) inTable = true;
    if (line.rfind("legend:", 0) == 0) inTable = false;
    if (line == "what the rows mean (docs/results.md):") {
      inMeanings = true;
      continue;
    }
    if (inMeanings && line.rfind("  ", 0) == 0) meanings.push_back(line);
    if (inTable && line.rfind("  ", 0) == 0) {
      // The label, before the run of spaces that starts the values; a
      // latency's percentiles share one meaning.
      std::string label = line.substr(2, line.find("   ", 2) - 2);
      for (const char* summary : {"latency ", "rtt "}) {
        if (label.rfind(summary, 0) == 0) label = summary;
      }
      if (std::find(rows.begin(), rows.end(), label) == rows.end()) rows.push_back(label);
    }
  }
  ASSERT_FALSE(meanings.empty()) << p.out();
  EXPECT_EQ(meanings.size(), rows.size()) << p.out();
  for (const auto& line : meanings) {
    const auto colon = line.find(": ");
    ASSERT_NE(colon, std::string::npos) << line;
    const std::string meaning = line.substr(colon + 2);
    EXPECT_NE(docs.str().find("`: " + meaning + "\n"), std::string::npos)
        << "not in docs/results.md: " << line;
  }
}
