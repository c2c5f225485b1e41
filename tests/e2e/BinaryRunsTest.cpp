#include <gtest/gtest.h>
#include <cstdlib>
TEST(PigeonBinary, PrintsItsVersion) {
  EXPECT_EQ(std::system(PIGEON_BINARY " --version > /dev/null"), 0);
}
