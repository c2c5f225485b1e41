#pragma once

#include <string>

namespace pigeon::chat {

// Where a chat session's words go. Called from the network thread and the
// input thread at once: implementations serialise their own writes.
class ChatOutput {
 public:
  virtual ~ChatOutput() = default;

  // What the peer said, already made safe for a terminal (stdout).
  virtual void message(const std::string& line) = 0;

  // What happened: joins, leaves, errors, what the transport did (stderr).
  virtual void status(const std::string& line) = 0;
};

}  // namespace pigeon::chat
