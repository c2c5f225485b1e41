#pragma once

#include "wire/Bytes.h"

#include <cstdint>
#include <string>

namespace pigeon::chat {

// Makes bytes from the network safe to print on a terminal. Printable UTF-8
// passes through; control characters, escape sequences, bidirectional
// overrides and invisible characters (zero-width, format controls, tags,
// line separators, blank fillers: so one nickname cannot pass for another)
// are shown escaped (ESC as "\e", CR as "\r", others as "\xNN" or
// "\u{NNNN}"), so a peer can never move the cursor, recolour the screen or
// set the window title. Invalid UTF-8 is shown as U+FFFD per bad byte, never
// dropped. Newlines and tabs are kept: callers split lines themselves. A
// joiner or variation selector right after a pictograph is kept, so emoji
// sequences still draw.
//
// A stream may cut a character in two; feed() keeps an unfinished sequence
// at the end for the next call, and flush() shows whatever is left.
// Not thread safe.
class TerminalText {
 public:
  std::string feed(wire::ByteSpan bytes);
  std::string flush();

  // For a whole message (a datagram, a frame, a nickname).
  static std::string sanitize(wire::ByteSpan bytes);
  static std::string sanitize(std::string_view text);

  // The same, on one line: newlines and tabs shown as "\n" and "\t" too, so
  // a peer cannot start a line of its own (a fake "* alice left").
  static std::string sanitizeLine(wire::ByteSpan bytes);

 private:
  wire::Bytes pending_;
  std::uint32_t previous_ = 0;  // last code point shown as itself
};

}  // namespace pigeon::chat
