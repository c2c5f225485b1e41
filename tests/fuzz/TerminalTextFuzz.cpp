// The terminal sanitiser: its output never holds a control character (only
// newline and tab), fed in any pieces it shows what it shows for the whole,
// and the one-line form holds no newline or tab at all.

#include "FuzzInput.h"
#include "chat/TerminalText.h"

#include <cstdlib>
#include <string>

namespace {
void checkSafe(const std::string& out, bool oneLine) {
  for (unsigned char c : out) {
    if (c == 0x7F || (c < 0x20 && c != '\n' && c != '\t')) std::abort();
    if (oneLine && (c == '\n' || c == '\t')) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using pigeon::chat::TerminalText;
  pigeon::fuzz::FuzzInput in(data, size);
  std::uint8_t cuts[4];
  for (auto& c : cuts) c = in.byte();
  const pigeon::wire::ByteSpan text = in.rest();

  const std::string whole = TerminalText::sanitize(text);
  checkSafe(whole, false);
  checkSafe(TerminalText::sanitizeLine(text), true);

  TerminalText stream;
  std::string pieces;
  std::size_t pos = 0;
  for (std::size_t k = 0; pos < text.size(); ++k) {
    std::size_t n = 1 + cuts[k % 4] % 16;
    if (n > text.size() - pos) n = text.size() - pos;
    pieces += stream.feed(text.subspan(pos, n));
    pos += n;
  }
  pieces += stream.flush();
  if (pieces != whole) std::abort();
  return 0;
}
