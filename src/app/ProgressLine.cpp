#include "app/ProgressLine.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace pigeon::app {

ProgressLine::ProgressLine(std::string label)
    : label_(std::move(label)),
      enabled_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {
  if (!enabled_) return;
  thread_.startFunc([this] {
    while (!stop_.tryWait(500)) tick();
  });
}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  stop_.set();
  thread_.join();
  std::lock_guard lock(mutex_);
  if (shown_) std::fprintf(stderr, "\r\033[K");  // leave the terminal as it was
  std::fflush(stderr);
}

void ProgressLine::set(const std::string& what) {
  std::lock_guard lock(mutex_);
  what_ = what;
}

void ProgressLine::tick() {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (elapsed < 2.0) return;
  std::lock_guard lock(mutex_);
  if (what_.empty()) return;  // nothing to say yet (no offer has come)
  std::fprintf(stderr, "\r\033[K%s: %s (%.0f s)", label_.c_str(), what_.c_str(), elapsed);
  std::fflush(stderr);
  shown_ = true;
}

}  // namespace pigeon::app
