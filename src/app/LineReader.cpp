#include "app/LineReader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace pigeon::app {

LineReader::LineReader(int fd, std::size_t maxLineBytes) : fd_(fd), maxLineBytes_(maxLineBytes) {}

bool LineReader::takeLine(Result& out) {
  while (true) {
    const auto newline = buffer_.find('\n');
    if (skipping_) {
      if (newline == std::string::npos) {
        skipped_ += buffer_.size();
        buffer_.clear();
        return false;
      }
      skipped_ += newline;
      buffer_.erase(0, newline + 1);
      skipping_ = false;
      out = {Status::kTooLong, {}, skipped_};
      return true;
    }
    if (newline != std::string::npos) {
      if (newline > maxLineBytes_) {
        out = {Status::kTooLong, {}, newline};
        buffer_.erase(0, newline + 1);
        return true;
      }
      out = {Status::kLine, buffer_.substr(0, newline), 0};
      buffer_.erase(0, newline + 1);
      return true;
    }
    if (buffer_.size() > maxLineBytes_) {
      skipping_ = true;
      skipped_ = 0;
      continue;
    }
    return false;
  }
}

LineReader::Result LineReader::next(Poco::Timespan timeout) {
  Result result{Status::kTimeout, {}, 0};
  for (int waitMs = static_cast<int>(timeout.totalMilliseconds());; waitMs = 0) {
    if (takeLine(result)) return result;
    if (eof_) {
      if (skipping_) {
        skipping_ = false;
        return {Status::kTooLong, {}, skipped_};
      }
      if (!buffer_.empty()) {  // a last line without a newline
        result = {Status::kLine, std::move(buffer_), 0};
        buffer_.clear();
        return result;
      }
      return {Status::kEnd, {}, 0};
    }
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, waitMs) <= 0) return result;  // timeout, or EINTR: ask again
    char chunk[4096];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return result;
    if (n <= 0) {
      eof_ = true;
    } else {
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
}

}  // namespace pigeon::app
