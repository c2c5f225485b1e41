#include "filexfer/FileName.h"

#include <gtest/gtest.h>

#include <string>

using pigeon::filexfer::fileNameProblem;

TEST(FileName, AcceptsAnOrdinaryName) {
  EXPECT_FALSE(fileNameProblem("report.pdf"));
  EXPECT_FALSE(fileNameProblem(".hidden"));
  EXPECT_FALSE(fileNameProblem("résumé.txt"));
  EXPECT_FALSE(fileNameProblem("console.log"));  // starts like CON, is not CON
  EXPECT_FALSE(fileNameProblem(std::string(255, 'a')));
}

TEST(FileName, RefusesPathsAndDotNames) {
  EXPECT_TRUE(fileNameProblem(""));
  EXPECT_TRUE(fileNameProblem("."));
  EXPECT_TRUE(fileNameProblem(".."));
  EXPECT_TRUE(fileNameProblem("../etc/passwd"));
  EXPECT_TRUE(fileNameProblem("/etc/passwd"));
  EXPECT_TRUE(fileNameProblem("dir/file"));
  EXPECT_TRUE(fileNameProblem("..\\boot.ini"));
  EXPECT_EQ(*fileNameProblem("/etc/passwd"), "the name is an absolute path");
}

TEST(FileName, RefusesControlCharactersWithoutEchoingThem) {
  const auto escape = fileNameProblem("a\033[2Jb");
  ASSERT_TRUE(escape);
  EXPECT_EQ(escape->find('\033'), std::string::npos);
  EXPECT_TRUE(fileNameProblem("new\nline"));
  EXPECT_TRUE(fileNameProblem(std::string("nul\0byte", 8)));
  EXPECT_TRUE(fileNameProblem("del\x7f"));
}

TEST(FileName, RefusesDeviceNamesInAnyCaseWithOrWithoutExtension) {
  for (const char* name : {"CON", "prn", "Aux", "nul.txt", "COM1", "lpt9.dat"}) {
    EXPECT_TRUE(fileNameProblem(name)) << name;
  }
  EXPECT_FALSE(fileNameProblem("COM0"));
  EXPECT_FALSE(fileNameProblem("COM10"));
}

TEST(FileName, RefusesANameOver255Bytes) { EXPECT_TRUE(fileNameProblem(std::string(256, 'a'))); }
