#include "bench/BenchRunner.h"

#include "bench/Background.h"
#include "bench/BenchSender.h"
#include "bench/BenchSink.h"
#include "bench/EchoReflector.h"
#include "bench/ImpairedPath.h"
#include "bench/PingPongClient.h"
#include "bench/ProbeTimeout.h"
#include "bench/ResultFacts.h"
#include "link/LinkSpec.h"
#include "metrics/NumberText.h"
#include "transport/Endpoint.h"
#include "transport/TransportFactory.h"
#include "wire/Clock.h"

#include <Poco/Net/NetworkInterface.h>
#include <Poco/Thread.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <sstream>

namespace pigeon::bench {

using metrics::TransportResult;

namespace {

const Poco::Net::SocketAddress kLoopback("127.0.0.1", 0);
constexpr int kSinkBufferBytes = 8 << 20;
constexpr std::int64_t kReportTimeoutNs = 5'000'000'000;

}  // namespace

bool isLocalAddress(const Poco::Net::SocketAddress& address) {
  if (address.host().isLoopback()) return true;
  try {
    for (const auto& nic : Poco::Net::NetworkInterface::list()) {
      if (nic.address() == address.host()) return true;
    }
  } catch (const Poco::Exception&) {
    // Unknown: treat as remote, the careful choice.
  }
  return false;
}

BenchRunner::BenchRunner(BenchSettings settings, Progress progress)
    : settings_(std::move(settings)), progress_(std::move(progress)) {
  if (!settings_.logPath.empty()) log_ = std::make_unique<MessageLog>(settings_.logPath);
}

transport::TransportOptions BenchRunner::transportOptions() const {
  transport::TransportOptions options;
  options.tcpNoDelay = !settings_.nagle;
  options.tcpCongestionControl = settings_.congestionControl;
  options.rudp.arq = settings_.arq;
  options.rudp.delivery = settings_.delivery;
  return options;
}

bool BenchRunner::impaired(transport::TransportKind kind) const {
  return settings_.link.has_value() && transport::traitsOf(kind).carriedByUdp;
}

std::optional<bool> BenchRunner::metImpairedLink(transport::TransportKind kind) const {
  if (lab_ || impaired(kind)) return true;
  // A target's path is not the bench's to see: a standalone `pigeon link`
  // or a lossy network may lie between, unknown to it.
  if (!settings_.target.empty()) return std::nullopt;
  return false;
}

std::map<std::string, std::string> BenchRunner::describe() const {
  std::map<std::string, std::string> d;
  d["pattern"] = patternName(settings_.pattern);
  std::ostringstream transports, sizes;
  for (std::size_t i = 0; i < settings_.transports.size(); ++i) {
    transports << (i ? "," : "") << transport::transportKindName(settings_.transports[i]);
  }
  for (std::size_t i = 0; i < settings_.sizesBytes.size(); ++i) {
    sizes << (i ? "," : "") << settings_.sizesBytes[i];
  }
  d["transports"] = transports.str();
  d["size_bytes"] = sizes.str();
  if (settings_.durationS) {
    d["duration_s"] = metrics::plainNumber(*settings_.durationS);
  } else {
    d["count"] = std::to_string(settings_.count);
  }
  d["rate_per_s"] = settings_.ratePerS > 0 ? metrics::plainNumber(settings_.ratePerS) : "max";
  if (settings_.pattern == Pattern::kBurst) d["burst"] = std::to_string(settings_.burstSize);
  if (settings_.pattern == Pattern::kUnderLoad) {
    d["probe_rate_per_s"] = metrics::plainNumber(settings_.probeRatePerS);
  }
  if (settings_.deadlineMs) d["deadline_ms"] = metrics::plainNumber(*settings_.deadlineMs);
  d["target"] = !settings_.labSpec.empty()
                    ? std::string("local, across the lab: receiver in its far namespace (") +
                          lab::LabLink::kFarAddress + ")"
                : settings_.target.empty() ? "local (self-contained on 127.0.0.1)"
                                           : settings_.target;
  d["link"] = settings_.link ? settings_.linkSpec : "none";
  if (!settings_.labSpec.empty()) {
    d["lab_engine"] = settings_.labEngine;
    d["lab_decisions"] = settings_.labEngine == "netem"
                             ? "the kernel's netem (not seeded by pigeon)"
                             : "pigeon's seeded model (the same SPEC and seed decide alike)";
    d["lab_spec"] = settings_.labSpec;
    d["lab_mtu"] =
        std::to_string(lab_ ? lab_->link().options().mtuBytes : lab::LabOptions{}.mtuBytes);
  }
  if (settings_.link) {
    // What each direction really ran with, seeds included.
    d["link_up"] = link::describe(settings_.link->up);
    d["link_down"] = link::describe(settings_.link->down);
  }
  d["seed"] = std::to_string(settings_.seed);
  if (settings_.kernelStamps) {
    d["arrival_stamps"] =
        "the kernel's for udp (when the socket queued each datagram); tcp and rudp: when read";
  }
  d["one_way_clock"] = clockNote_;
  if (!echoKinds_.empty()) {
    // Which kind of echo answered each transport: only pigeon echo's
    // stamps split a round trip into its two one-way halves.
    // In the table's column order, transports answered alike named together.
    std::vector<std::pair<std::string, std::string>> groups;  // kind, its transports
    for (const transport::TransportKind t : settings_.transports) {
      const std::string name(transport::transportKindName(t));
      const auto kind = echoKinds_.find(name);
      if (kind == echoKinds_.end()) continue;
      const auto group = std::find_if(groups.begin(), groups.end(),
                                      [&](const auto& g) { return g.first == kind->second; });
      if (group == groups.end()) {
        groups.emplace_back(kind->second, name);
      } else {
        group->second += ", " + name;
      }
    }
    std::string answered;
    for (const auto& [kind, alike] : groups) {
      answered += (answered.empty() ? "" : "; ") + alike + ": " +
                  (kind == "pigeon"   ? std::string("pigeon echo (one-way split)")
                   : kind == "rfc862" ? std::string("RFC 862 echo, bytes returned unchanged "
                                                    "(round trips only; the one-way split needs "
                                                    "pigeon echo)")
                                      : std::string("no answer"));
    }
    d["echo"] = answered;
  }
  if (settings_.pattern == Pattern::kPingPong || !settings_.target.empty()) {
    d["probe_timeout"] = ProbeTimeout(settings_.probeTimeoutMs
                                          ? std::optional<std::int64_t>(static_cast<std::int64_t>(
                                                *settings_.probeTimeoutMs * 1e6))
                                          : std::nullopt)
                             .describe();
  }
  d["nagle"] = settings_.nagle ? "on" : "off";
  d["rudp_arq"] = std::string(transport::rudp::arqSchemeName(settings_.arq));
  d["rudp_delivery"] = std::string(transport::rudp::deliveryModeName(settings_.delivery));
  return d;
}

namespace {
// Unwinds a case that Ctrl-C cut short; its Background threads, relay and
// sockets are stopped by their destructors.
struct CaseInterrupted {};
}  // namespace

std::vector<CaseResult> BenchRunner::run() {
  const std::atomic<bool> never{false};
  return run(never);
}

std::vector<CaseResult> BenchRunner::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  interrupted_.clear();
  std::optional<Poco::Net::SocketAddress> target;
  bool sharedClock = true;
  if (!settings_.target.empty()) {
    target = transport::Endpoint::parse(settings_.target).resolve();
    sharedClock = isLocalAddress(*target);
    clockNote_ = sharedClock ? "shared (target is on this host)"
                             : "estimated from the fastest round trips (paths assumed symmetric)";
  } else if (settings_.pattern == Pattern::kPingPong) {
    clockNote_ = "shared (same host)";
  }

  if (!settings_.labSpec.empty() && !lab_) {
    lab_ = std::make_unique<LabPath>(settings_.labSpec, lab::parseEngine(settings_.labEngine));
  }

  std::vector<CaseResult> cases;
  for (std::size_t size : settings_.sizesBytes) {
    for (const transport::TransportKind transport : settings_.transports) {
      const std::string what = std::string(transport::transportKindName(transport)) + ", " +
                               std::to_string(size) + "-byte messages";
      if (stop) {
        interrupted_ = "before " + what;
        return cases;
      }
      if (progress_) {
        progress_(std::string(transport::transportKindName(transport)) + ", " +
                  std::to_string(size) + "-byte messages, " + patternName(settings_.pattern) +
                  (impaired(transport) || lab_ ? ", impaired link" : ""));
      }
      TransportResult result;
      if (lab_) lab_->reset();
      try {
        if (target) {
          result = runEcho(transport, size, *target, sharedClock);
        } else if (settings_.pattern == Pattern::kPingPong) {
          result = runLocalEcho(transport, size);
        } else {
          result = runLocalOneWay(transport, size);
        }
      } catch (const CaseInterrupted&) {
        interrupted_ = "during " + what;
        return cases;
      } catch (const Poco::Exception& e) {
        // One transport failing must not throw away what the others measured.
        failed(cases, transport, size, e.displayText());
        continue;
      } catch (const std::exception& e) {
        failed(cases, transport, size, e.what());
        continue;
      }
      result.metImpairedLink = metImpairedLink(transport);
      if (lab_) lab_->addFacts(result);
      result.counters["size_bytes"] = size;
      cases.push_back({size, std::move(result), nullptr});
    }
  }
  return cases;
}

void BenchRunner::failed(std::vector<CaseResult>& cases, transport::TransportKind transport,
                         std::size_t size, const std::string& why) const {
  TransportResult result;
  result.transport = std::string(transport::transportKindName(transport));
  result.error = why;
  result.metImpairedLink = metImpairedLink(transport);
  result.counters["size_bytes"] = size;
  cases.push_back({size, std::move(result), std::current_exception()});
}

TransportResult BenchRunner::runLocalOneWay(transport::TransportKind kind, std::size_t sizeBytes) {
  transport::TransportOptions options = transportOptions();
  const std::string name(transport::transportKindName(kind));
  const transport::TransportTraits traits = transport::traitsOf(kind);

  BenchSink::Options sinkOptions;
  sinkOptions.transportName = name;
  sinkOptions.sizeBytes = sizeBytes;
  sinkOptions.expectedStreams = settings_.pattern == Pattern::kUnderLoad ? 2 : 1;
  // Only where messages can be lost is there anything to wait for.
  sinkOptions.drainNs = traits.byteStream ? 0 : static_cast<std::int64_t>(settings_.drainMs * 1e6);
  if (settings_.deadlineMs)
    sinkOptions.deadlineNs = static_cast<std::int64_t>(*settings_.deadlineMs * 1e6);
  sinkOptions.log = log_.get();
  sinkOptions.receiveBufferBytes = kSinkBufferBytes;
  sinkOptions.busyPoll = settings_.ratePerS <= 0;
  sinkOptions.kernelStamps = settings_.kernelStamps;
  sinkOptions.sequenceCeilings = BenchSender::sequenceCeilings(settings_);
  BenchSink sink(
      lab_ ? lab_->inFar([&] { return transport::listenOn(kind, lab_->farAddress(), options); })
           : transport::listenOn(kind, kLoopback, options),
      sinkOptions);

  std::optional<ImpairedPath> relay;
  Poco::Net::SocketAddress destination = sink.localAddress();
  if (impaired(kind)) {
    relay.emplace(*settings_.link, destination, kSinkBufferBytes);
    destination = relay->address();
  }

  Background sinkThread([&sink](const std::atomic<bool>& stop) { sink.run(stop); });
  auto sender = lab_
                    ? lab_->inNear([&] { return transport::connectTo(kind, destination, options); })
                    : transport::connectTo(kind, destination, options);
  std::optional<Background> sampler;
  if (sender->reliabilityCounters() && log_) {
    // The sender's counters over time, beside the arrivals in the log.
    sampler.emplace([this, &sender, name, sizeBytes](const std::atomic<bool>& stop) {
      while (!stop) {
        const auto counters = sender->reliabilityCounters();
        if (!counters) break;
        log_->counters(name, sizeBytes, wire::steadyNowNs(),
                       transport::rudp::counterFields(*counters));
        Poco::Thread::sleep(10);
      }
    });
  }
  BenchSender bench(*sender, settings_, sizeBytes);
  bench.run(*stop_);
  if (*stop_) throw CaseInterrupted{};
  // Everything acknowledged before the final count goes out: in unordered
  // rudp delivery a report could otherwise overtake a retransmission.
  sender->flush(Poco::Timespan(kReportTimeoutNs / 1000));
  const bool reported = bench.deliverReports(kReportTimeoutNs);
  if (sampler) sampler->finish(/*stopNow=*/true);
  sinkThread.finish(/*stopNow=*/!reported);

  const auto finishStream = [&](std::uint32_t id) -> metrics::StreamStats& {
    auto& stats = sink.stream(id);
    // The sender's count over the wire; in this process it is known anyway
    // when a hopeless link ate every report.
    stats.finish(sink.reportedSent(id).value_or(bench.sent(id)));
    return stats;
  };

  metrics::RunFacts facts;
  // SO_RXQ_OVFL-style drops mean something only for datagrams.
  if (!traits.byteStream) facts.socketDrops = sink.socketDrops();
  facts.corrupted = sink.corrupted();
  facts.malformed = sink.malformed();
  TransportResult result;
  if (settings_.pattern == Pattern::kUnderLoad) {
    auto& bulk = finishStream(BenchSender::kBulkStream);
    auto& probes = finishStream(BenchSender::kProbeStream);
    result = TransportResult::fromStream(name, probes, facts);
    result.throughputMbps = bulk.throughputMbps();
    result.goodputMbps = bulk.goodputMbps();
    result.counters["bulk_sent"] = bulk.sent();
    result.counters["bulk_delivered"] = bulk.delivered();
  } else {
    result = TransportResult::fromStream(name, finishStream(BenchSender::kBulkStream), facts);
  }
  addSlip(result, bench.slip());
  addTcpFacts(result, *sender);
  addRudpFacts(result, *sender, sink.rudpCounters());
  if (!reported) result.counters["final_count_unacknowledged"] = 1;
  sender->close();
  if (relay) relay->addFacts(result);
  return result;
}

TransportResult BenchRunner::runEcho(transport::TransportKind kind, std::size_t sizeBytes,
                                     const Poco::Net::SocketAddress& reflector, bool sharedClock) {
  const std::string name(transport::transportKindName(kind));
  transport::TransportOptions options = transportOptions();
  options.receiveBufferBytes = kSinkBufferBytes;

  std::optional<ImpairedPath> relay;
  Poco::Net::SocketAddress destination = reflector;
  if (impaired(kind)) {
    relay.emplace(*settings_.link, destination, kSinkBufferBytes);
    destination = relay->address();
  }
  auto client = lab_
                    ? lab_->inNear([&] { return transport::connectTo(kind, destination, options); })
                    : transport::connectTo(kind, destination, options);
  PingPongClient echo(*client, settings_, sizeBytes, sharedClock);
  echo.setLog(log_.get());
  echo.run(*stop_);
  if (*stop_) throw CaseInterrupted{};

  metrics::RunFacts facts;
  facts.roundTrip = true;
  facts.reflectorReceived = echo.reflectorReceived();
  // Each lost probe's direction, from the windows of the replies around it
  // (PingPongClient::lossDirections); the echo's count where some were
  // beyond every window (the last ones), or where no reply carried one.
  const auto directions = echo.lossDirections();
  if (directions && (directions->unknown == 0 || !facts.reflectorReceived)) {
    facts.reflectorReceived = echo.sent() - directions->outbound - directions->unknown;
  }
  if (directions) facts.counters["loss_direction_unknown"] = directions->unknown;
  TransportResult result = TransportResult::fromStream(name, echo.roundTrip(), facts);
  result.echo = echoKindName(echo.echoKind());
  echoKinds_[name] = *result.echo;
  // jitter is one-way outbound in echo mode: none without pigeon echo's stamps.
  result.jitterUs.reset();
  if (echo.outbound().delivered() > 0) {
    result.latencyUs = metrics::LatencySummary::fromHistogram(echo.outbound().latency());
    result.jitterUs = echo.outbound().jitter().jitterNs() / 1e3;
    if (echo.outbound().ipdv().pairs() > 0) {
      result.outboundIpdvUs = echo.outbound().ipdv().meanAbsNs() / 1e3;
    }
  }
  if (echo.returnPath().delivered() > 0) {
    result.returnLatencyUs = metrics::LatencySummary::fromHistogram(echo.returnPath().latency());
    if (echo.returnPath().ipdv().pairs() > 0) {
      result.returnIpdvUs = echo.returnPath().ipdv().meanAbsNs() / 1e3;
    }
  }
  if (echo.echoProcessing().count() > 0) {
    result.echoProcessingUs = echo.echoProcessing().meanNs() / 1e3;
  }
  if (settings_.pattern != Pattern::kPingPong || settings_.ratePerS > 0)
    addSlip(result, echo.slip());
  addTcpFacts(result, *client);
  addRudpFacts(result, *client, std::nullopt);
  client->close();
  if (relay) relay->addFacts(result, /*perDirection=*/true);
  return result;
}

TransportResult BenchRunner::runLocalEcho(transport::TransportKind kind, std::size_t sizeBytes) {
  std::optional<EchoReflector> reflector;
  if (lab_) {
    lab_->inFar([&] { reflector.emplace(kind, lab_->farAddress()); });
  } else {
    reflector.emplace(kind, kLoopback);
  }
  Background serving([&reflector](const std::atomic<bool>& stop) { reflector->run(stop); });
  TransportResult result = runEcho(kind, sizeBytes, reflector->localAddress(), true);
  serving.finish(/*stopNow=*/true);
  return result;
}

}  // namespace pigeon::bench
