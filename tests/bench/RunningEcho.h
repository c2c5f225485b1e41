#pragma once

// A UDP echo on 127.0.0.1 (port 0) served on its own thread for a test's
// lifetime; stopped and joined when it goes.

#include "bench/EchoReflector.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Thread.h>

#include <atomic>

namespace pigeon::testing {

class RunningEcho {
 public:
  explicit RunningEcho(bench::EchoOptions options = {})
      : echo_(transport::TransportKind::kUdp, Poco::Net::SocketAddress("127.0.0.1", 0), options),
        thread_("test-echo") {
    thread_.startFunc([this] { echo_.run(stop_); });
  }
  ~RunningEcho() {
    stop_ = true;
    thread_.join();
  }
  RunningEcho(const RunningEcho&) = delete;
  RunningEcho& operator=(const RunningEcho&) = delete;

  bench::EchoReflector& operator*() { return echo_; }
  bench::EchoReflector* operator->() { return &echo_; }

 private:
  bench::EchoReflector echo_;
  std::atomic<bool> stop_{false};
  Poco::Thread thread_;
};

}  // namespace pigeon::testing
