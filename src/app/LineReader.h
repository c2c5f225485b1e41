#pragma once

#include <Poco/Timespan.h>

#include <cstddef>
#include <string>

namespace pigeon::app {

// Reads lines from a file descriptor (stdin) with a timeout, so the reading
// thread can notice that the chat ended while the user is silent. A line
// longer than `maxLineBytes` is not kept: it is reported as kTooLong with
// its length, and the rest of it up to the newline is skipped.
// Not thread safe.
class LineReader {
 public:
  enum class Status { kLine, kTimeout, kTooLong, kEnd };

  struct Result {
    Status status;
    std::string line;        // kLine: without its newline
    std::size_t length = 0;  // kTooLong: bytes in the line
  };

  LineReader(int fd, std::size_t maxLineBytes);

  Result next(Poco::Timespan timeout);

 private:
  bool takeLine(Result& out);

  int fd_;
  std::size_t maxLineBytes_;
  std::string buffer_;
  bool skipping_ = false;  // inside a line that was too long
  std::size_t skipped_ = 0;
  bool eof_ = false;
};

}  // namespace pigeon::app
