#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pigeon::chat {

// The one rule for a nickname, for `pigeon chat --nick` and a room alike:
// 1 to kMaxNickBytes bytes of printable UTF-8 that TerminalText shows as
// itself (no control characters, escape sequences, invisible or
// bidirectional characters: one name cannot pass for another).
class Nickname {
 public:
  static constexpr std::size_t kMaxBytes = 32;

  // Why `nick` cannot be a nickname; empty when it can.
  static std::string problem(std::string_view nick);

  // The same, for a room, where a name is one word that commands can name
  // (`/msg NICK text`): no spaces, and not starting with '/' or '*'.
  static std::string roomProblem(std::string_view nick);
};

}  // namespace pigeon::chat
