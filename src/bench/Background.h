#pragma once

#include <Poco/Thread.h>

#include <atomic>
#include <exception>

namespace pigeon::bench {

// Runs `body` on a thread that is stopped and joined however this scope
// ends; exceptions on it are kept and rethrown by finish().
class Background {
 public:
  template <class F>
  explicit Background(F body) {
    thread_.startFunc([this, body]() mutable {
      try {
        body(stop_);
      } catch (...) {
        error_ = std::current_exception();
      }
    });
  }
  ~Background() {
    stop_ = true;
    join();
  }
  void finish(bool stopNow) {
    if (stopNow) stop_ = true;
    join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void join() {
    if (joined_) return;  // a Poco thread may be joined once only
    thread_.join();
    joined_ = true;
  }

  bool joined_ = false;
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
  Poco::Thread thread_;
};

}  // namespace pigeon::bench
