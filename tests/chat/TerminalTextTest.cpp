#include "chat/TerminalText.h"

#include <gtest/gtest.h>

using pigeon::chat::TerminalText;
using pigeon::wire::asBytes;

TEST(TerminalText, PassesPrintableUtf8Unchanged) {
  EXPECT_EQ(TerminalText::sanitize("héllo wörld ✓ 🐦\ttab\n"), "héllo wörld ✓ 🐦\ttab\n");
}

TEST(TerminalText, ShowsEscapeSequencesInsteadOfRunningThem) {
  EXPECT_EQ(TerminalText::sanitize("\x1b[2J\x1b]0;title\x07"), "\\e[2J\\e]0;title\\a");
  EXPECT_EQ(TerminalText::sanitize("a\rb\bc\x7f"), "a\\rb\\bc\\x7F");
}

TEST(TerminalText, ShowsEightBitControlsAndBidiOverridesEscaped) {
  EXPECT_EQ(TerminalText::sanitize("\xc2\x9b"
                                   "31m"),
            "\\u{009B}31m");
  EXPECT_EQ(TerminalText::sanitize("abc\xe2\x80\xae"
                                   "cba"),
            "abc\\u{202E}cba");
}

TEST(TerminalText, ReplacesEachInvalidByteWithTheReplacementCharacter) {
  EXPECT_EQ(TerminalText::sanitize("a\xff\xfe"
                                   "b"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  // Overlong encoding of '/', and a lone surrogate.
  EXPECT_EQ(TerminalText::sanitize("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(TerminalText::sanitize("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TerminalText, KeepsACharacterSplitAcrossChunksWhole) {
  TerminalText stream;
  const std::string check = "✓";  // three bytes
  EXPECT_EQ(stream.feed(asBytes("ok " + check.substr(0, 2))), "ok ");
  EXPECT_EQ(stream.feed(asBytes(check.substr(2) + "!")), check + "!");
  EXPECT_EQ(stream.flush(), "");
}

TEST(TerminalText, FlushShowsAnUnfinishedCharacterAsReplacement) {
  TerminalText stream;
  EXPECT_EQ(stream.feed(asBytes("x\xe2\x9c")), "x");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD\xEF\xBF\xBD");
}
