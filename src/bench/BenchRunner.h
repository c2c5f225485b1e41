#pragma once

#include "bench/BenchSettings.h"
#include "bench/LabPath.h"
#include "bench/MessageLog.h"
#include "metrics/TransportResult.h"
#include "transport/TransportFactory.h"

#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pigeon::bench {

// One result of a run: a transport at a message size.
struct CaseResult {
  std::size_t sizeBytes;
  metrics::TransportResult result;  // result.error set when the run failed
  std::exception_ptr failure;       // what it failed with, for the exit code
};

// Runs a bench: every size, then every transport, one after another so
// they never compete for the CPU or the loopback. Locally it starts its own
// receiver (stream, burst, under-load) or reflector (pingpong) on 127.0.0.1
// with a kernel-chosen port, behind a link relay for UDP-based transports
// when a link is given. With a target, every pattern runs against the
// remote `pigeon echo`, as probes whose replies are measured. With a lab
// (settings.labSpec) the receiver or reflector is in the lab's far
// namespace and the sender in the near one, for every transport.
class BenchRunner {
 public:
  // Says what is being run now, for progress on stderr.
  using Progress = std::function<void(const std::string&)>;

  explicit BenchRunner(BenchSettings settings, Progress progress = {});

  void setProgress(Progress progress) { progress_ = std::move(progress); }

  // Runs every case. When `stop` becomes true (Ctrl-C) the case in progress
  // is abandoned and the cases that finished are returned; interrupted()
  // then says where it stopped.
  std::vector<CaseResult> run(const std::atomic<bool>& stop);
  std::vector<CaseResult> run();

  // "rudp, 64-byte messages" when run() was stopped during that case (or
  // "between cases"); empty when it ran to the end.
  const std::string& interrupted() const { return interrupted_; }

  // What a report records of the run beside its results.
  std::map<std::string, std::string> describe() const;

 private:
  metrics::TransportResult runLocalOneWay(transport::TransportKind kind, std::size_t sizeBytes);
  metrics::TransportResult runEcho(transport::TransportKind kind, std::size_t sizeBytes,
                                   const Poco::Net::SocketAddress& reflector, bool sharedClock);
  metrics::TransportResult runLocalEcho(transport::TransportKind kind, std::size_t sizeBytes);
  bool impaired(transport::TransportKind kind) const;
  std::optional<bool> metImpairedLink(transport::TransportKind kind) const;
  // Records the case that just threw (call from its catch block).
  void failed(std::vector<CaseResult>& cases, transport::TransportKind transport, std::size_t size,
              const std::string& why) const;
  transport::TransportOptions transportOptions() const;

  BenchSettings settings_;
  Progress progress_;
  std::unique_ptr<MessageLog> log_;
  std::string clockNote_ = "shared (same host)";
  std::map<std::string, std::string> echoKinds_;  // transport -> the echo that answered it
  const std::atomic<bool>* stop_ = nullptr;       // set for the length of run()
  std::string interrupted_;
  std::unique_ptr<LabPath> lab_;  // --lab: every transport crosses it
};

// True when `address` is this host's: loopback or one of its interfaces.
bool isLocalAddress(const Poco::Net::SocketAddress& address);

}  // namespace pigeon::bench
