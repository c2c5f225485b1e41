#include "chat/Nickname.h"

#include "chat/TerminalText.h"

namespace pigeon::chat {

std::string Nickname::problem(std::string_view nick) {
  if (nick.empty()) return "a nickname cannot be empty";
  if (nick.size() > kMaxBytes) {
    return "a nickname is at most " + std::to_string(kMaxBytes) + " bytes, not " +
           std::to_string(nick.size());
  }
  if (TerminalText::sanitizeLine(wire::asBytes(nick)) != nick) {
    return "a nickname must be printable characters only (no control, escape or invisible "
           "characters)";
  }
  return "";
}

std::string Nickname::roomProblem(std::string_view nick) {
  if (std::string why = problem(nick); !why.empty()) return why;
  for (const char c : nick) {
    if (c == ' ') return "a nickname in a room is one word, without spaces";
  }
  if (nick.front() == '/' || nick.front() == '*') {
    return "a nickname cannot start with '/' or '*'";
  }
  return "";
}

}  // namespace pigeon::chat
