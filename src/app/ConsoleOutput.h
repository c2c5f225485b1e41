#pragma once

#include "chat/ChatOutput.h"

#include <iostream>
#include <mutex>

namespace pigeon::app {

// Chat output on the terminal: messages on stdout, status on stderr, each a
// whole line written under one lock so two threads never interleave.
class ConsoleOutput : public chat::ChatOutput {
 public:
  void message(const std::string& line) override {
    std::lock_guard lock(mutex_);
    std::cout << line << std::endl;
  }
  void status(const std::string& line) override {
    std::lock_guard lock(mutex_);
    std::cerr << line << std::endl;
  }

 private:
  std::mutex mutex_;
};

}  // namespace pigeon::app
