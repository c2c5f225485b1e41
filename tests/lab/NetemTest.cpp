#include "lab/Netem.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using pigeon::lab::netemArguments;
using pigeon::lab::NetemUnsupported;
using pigeon::link::LinkSpec;

namespace {

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

TEST(LabNetem, GivesEachDirectionOfTheSpecAsNetemArguments) {
  const LinkSpec spec = LinkSpec::parse(
      "loss=2%,delay=20ms,jitter=5ms,duplicate=1%,corrupt=0.1%,up.rate=10mbit,"
      "up.queue=50,down.burst=1%/30%,seed=7");
  EXPECT_EQ(joined(netemArguments(spec.up)),
            "limit 50 delay 20000us 5000us distribution normal loss random 2% duplicate 1% "
            "corrupt 0.1% rate 10000000bit");
  // down: burst replaces loss (a prefixed key wins), netem's gemodel p r 1-h 1-k.
  const LinkSpec down = LinkSpec::parse("down.burst=1%/30%");
  EXPECT_EQ(joined(netemArguments(down.down)), "limit 100000 loss gemodel 1% 30% 100% 0%");
  EXPECT_EQ(joined(netemArguments(LinkSpec::parse("").up)), "limit 100000");
}

TEST(LabNetem, RefusesWhatNetemCannotDoAsPigeonsModelDoes) {
  EXPECT_THROW(netemArguments(LinkSpec::parse("reorder=5%").up), NetemUnsupported);
  EXPECT_THROW(netemArguments(LinkSpec::parse("jitter=1ms/noreorder").up), NetemUnsupported);
  EXPECT_THROW(netemArguments(LinkSpec::parse("loss=1%,burst=1%/30%").up), NetemUnsupported);
  EXPECT_THROW(netemArguments(LinkSpec::parse("rate=1mbit,queue=64kb").up), NetemUnsupported);
}
