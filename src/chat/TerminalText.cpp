#include "chat/TerminalText.h"

#include <cstdio>

namespace pigeon::chat {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Expected length of a UTF-8 sequence from its lead byte; 0 if not a lead.
std::size_t sequenceLength(std::uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Decodes the sequence at `p` of `length` bytes; 0 if malformed (bad
// continuation, overlong, surrogate, above U+10FFFF).
std::uint32_t decode(const std::uint8_t* p, std::size_t length) {
  std::uint32_t cp = length == 2 ? (p[0] & 0x1Fu) : length == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
  for (std::size_t i = 1; i < length; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3Fu);
  }
  if (length == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return cp;
}

bool isBidiControl(std::uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
         cp == 0x200F || cp == 0x061C;
}

// Code points that draw nothing, or a blank, where they stand: Unicode's
// Default_Ignorable_Code_Point set, the other format controls (Cf), the line
// and paragraph separators and the blank-looking fillers. One of them after a
// nickname makes it look like another's.
bool isInvisible(std::uint32_t cp) {
  return cp == 0x00AD || cp == 0x034F || (cp >= 0x0600 && cp <= 0x0605) || cp == 0x06DD ||
         cp == 0x070F || cp == 0x08E2 || cp == 0x115F || cp == 0x1160 || cp == 0x17B4 ||
         cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F) || (cp >= 0x200B && cp <= 0x200D) ||
         cp == 0x2028 || cp == 0x2029 || (cp >= 0x2060 && cp <= 0x206F) || cp == 0x2800 ||
         cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 ||
         (cp >= 0xFFF0 && cp <= 0xFFFB) || cp == 0x110BD || cp == 0x110CD ||
         (cp >= 0x13430 && cp <= 0x1343F) || (cp >= 0x1BCA0 && cp <= 0x1BCA3) ||
         (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE0FFF);
}

// A pictograph, or part of an emoji sequence, that a joiner (U+200D) or an
// emoji presentation selector (U+FE0E, U+FE0F) may follow and still draw as
// one emoji. After anything else those two join nothing and are shown.
bool takesEmojiJoiner(std::uint32_t cp) {
  return cp >= 0x1F000 || (cp >= 0x2190 && cp <= 0x2BFF) || cp == 0x00A9 || cp == 0x00AE ||
         cp == 0x203C || cp == 0x2049 || cp == 0x2122 || cp == 0x2139 || cp == 0x20E3 ||
         cp == 0xFE0F || (cp >= 0x3030 && cp <= 0x303D) || cp == 0x3297 || cp == 0x3299;
}

bool isEmojiJoiner(std::uint32_t cp) { return cp == 0x200D || cp == 0xFE0E || cp == 0xFE0F; }

void appendEscapedByte(std::string& out, std::uint8_t b) {
  switch (b) {
    case 0x1B:
      out += "\\e";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\a':
      out += "\\a";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\v':
      out += "\\v";
      return;
    case 0:
      out += "\\0";
      return;
    default:
      break;
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", b);
  out += buf;
}

void appendEscapedCodePoint(std::string& out, std::uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
  out += buf;
}

// Renders the complete part of `in` into `out`; returns how many bytes were
// consumed (an unfinished sequence at the very end is left when `final` is
// false). `previous` is the last code point shown as itself (0: none), kept
// across calls so a stream split anywhere renders alike.
std::size_t render(wire::ByteSpan in, bool final, std::string& out, std::uint32_t& previous) {
  std::size_t i = 0;
  while (i < in.size()) {
    const std::uint8_t b = in[i];
    if (b < 0x80) {
      previous = b;
      if (b == '\n' || b == '\t' || (b >= 0x20 && b < 0x7F)) {
        out += static_cast<char>(b);
      } else {
        appendEscapedByte(out, b);  // C0 controls, ESC, DEL
      }
      ++i;
      continue;
    }
    const std::size_t length = sequenceLength(b);
    if (length == 0) {
      out += kReplacement;
      previous = 0;
      ++i;
      continue;
    }
    if (i + length > in.size()) {
      // Unfinished at the end: wait for the rest unless nothing more comes.
      bool prefixValid = true;
      for (std::size_t k = i + 1; k < in.size(); ++k) prefixValid &= (in[k] & 0xC0) == 0x80;
      if (!final && prefixValid) return i;
      out += kReplacement;
      previous = 0;
      ++i;
      continue;
    }
    const std::uint32_t cp = decode(&in[i], length);
    if (cp == 0) {
      out += kReplacement;
      previous = 0;
      ++i;
      continue;
    }
    const bool joinsEmoji = isEmojiJoiner(cp) && takesEmojiJoiner(previous);
    if ((cp >= 0x80 && cp <= 0x9F) || isBidiControl(cp) || (isInvisible(cp) && !joinsEmoji)) {
      // C1 controls (8-bit CSI), bidi overrides, invisible characters.
      appendEscapedCodePoint(out, cp);
      previous = 0;
    } else {
      out.append(reinterpret_cast<const char*>(&in[i]), length);
      previous = cp;
    }
    i += length;
  }
  return i;
}

}  // namespace

std::string TerminalText::feed(wire::ByteSpan bytes) {
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  std::string out;
  const std::size_t used = render(pending_, /*final=*/false, out, previous_);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
  return out;
}

std::string TerminalText::flush() {
  std::string out;
  render(pending_, /*final=*/true, out, previous_);
  pending_.clear();
  previous_ = 0;
  return out;
}

std::string TerminalText::sanitize(wire::ByteSpan bytes) {
  std::string out;
  std::uint32_t previous = 0;
  render(bytes, /*final=*/true, out, previous);
  return out;
}

std::string TerminalText::sanitize(std::string_view text) { return sanitize(wire::asBytes(text)); }

std::string TerminalText::sanitizeLine(wire::ByteSpan bytes) {
  const std::string text = sanitize(bytes);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace pigeon::chat
