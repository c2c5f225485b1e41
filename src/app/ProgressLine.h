#pragma once

#include <Poco/Event.h>
#include <Poco/Thread.h>

#include <chrono>
#include <mutex>
#include <string>

namespace pigeon::app {

// A one-line progress display on stderr for long runs: silent for the first
// two seconds, then rewritten in place twice a second with what is running
// and for how long. Only when stderr is a terminal; otherwise it does
// nothing, so logs and pipes stay clean. Thread safe.
class ProgressLine {
 public:
  // `label` starts the line: "bench", "send".
  explicit ProgressLine(std::string label = "bench");
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // What is running now.
  void set(const std::string& what);

  // Stops the display and clears its line, so what is printed next starts
  // on a clean line; the destructor does it if nobody did. Idempotent.
  void finish();

 private:
  void tick();

  std::string label_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::string what_;
  bool shown_ = false;
  bool finished_ = false;
  Poco::Event stop_;
  Poco::Thread thread_;
};

}  // namespace pigeon::app
