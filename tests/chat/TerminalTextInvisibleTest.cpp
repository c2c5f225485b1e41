// Invisible characters are shown escaped, so one nickname cannot pass for
// another (issue 10, item 6).

#include "chat/TerminalText.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

using pigeon::chat::TerminalText;

namespace {

std::string utf8(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

std::string escaped(std::uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
  return buf;
}

// Every code point that draws nothing (or a blank) where it stands.
const std::uint32_t kInvisible[] = {
    0x00AD,                                                // soft hyphen
    0x034F,                                                // combining grapheme joiner
    0x0600,  0x0605,  0x06DD,  0x070F,  0x08E2,            // Arabic/Syriac format marks
    0x115F,  0x1160,  0x3164,  0xFFA0,                     // Hangul fillers
    0x17B4,  0x17B5,                                       // Khmer inherent vowels
    0x180B,  0x180E,  0x180F,                              // Mongolian selectors, vowel separator
    0x200B,  0x200C,  0x200D,                              // zero width space, non-joiner, joiner
    0x2028,  0x2029,                                       // line and paragraph separators
    0x2060,  0x2061,  0x2064,  0x2065,  0x206A,  0x206F,   // word joiner, invisible operators
    0x2800,                                                // braille blank
    0xFE00,  0xFE0E,  0xFE0F,                              // variation selectors (alone)
    0xFEFF,                                                // zero width no-break space (BOM)
    0xFFF0,  0xFFF9,  0xFFFB,                              // interlinear annotation
    0x110BD, 0x13430, 0x1BCA0, 0x1BCA3, 0x1D173, 0x1D17A,  // other format controls
    0xE0000, 0xE0001, 0xE0020, 0xE0041, 0xE007F,           // tags
    0xE0100, 0xE01EF, 0xE0FFF,                             // variation selectors supplement
};

}  // namespace

TEST(TerminalTextInvisible, EachInvisibleCodePointIsShownEscaped) {
  for (const std::uint32_t cp : kInvisible) {
    EXPECT_EQ(TerminalText::sanitize("alice" + utf8(cp)), "alice" + escaped(cp))
        << "U+" << std::hex << cp;
    EXPECT_EQ(TerminalText::sanitizeLine(pigeon::wire::asBytes(utf8(cp) + "bob")),
              escaped(cp) + "bob")
        << "U+" << std::hex << cp;
  }
}

TEST(TerminalTextInvisible, InvisibleCodePointsSplitAcrossChunksAreStillEscaped) {
  TerminalText text;
  const std::string tag = utf8(0xE0041);
  std::string out = text.feed(pigeon::wire::asBytes("x" + tag.substr(0, 2)));
  out += text.feed(pigeon::wire::asBytes(tag.substr(2)));
  out += text.flush();
  EXPECT_EQ(out, "x" + escaped(0xE0041));
}

TEST(TerminalTextInvisible, EmojiSequencesStillDrawAsEmoji) {
  const std::string heart = utf8(0x2764) + utf8(0xFE0F);                    // red heart
  const std::string family = utf8(0x1F468) + utf8(0x200D) + utf8(0x1F469);  // man ZWJ woman
  const std::string thumbs = utf8(0x1F44D) + utf8(0x1F3FD);                 // skin tone
  for (const std::string& emoji : {heart, family, thumbs}) {
    EXPECT_EQ(TerminalText::sanitize(emoji), emoji);
  }
  // A joiner after a letter joins nothing: shown.
  EXPECT_EQ(TerminalText::sanitize("e" + utf8(0x200D)), "e" + escaped(0x200D));
}

TEST(TerminalTextInvisible, VisibleTextIsUntouched) {
  const std::string text = "caf" + utf8(0xE9) + " " + utf8(0x4E2D) + utf8(0x6587) + " " +
                           utf8(0x05E9) + utf8(0x05DC) + " " + utf8(0xAC00);
  EXPECT_EQ(TerminalText::sanitize(text), text);
}
