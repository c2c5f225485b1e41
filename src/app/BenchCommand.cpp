#include "app/BenchCommand.h"

#include "app/OptionValues.h"
#include "app/OutputFile.h"
#include "app/ProgressLine.h"
#include "app/TerminationSignals.h"
#include "bench/BenchRunner.h"
#include "bench/PingPongClient.h"
#include "lab/LabLink.h"
#include "lab/LabUnavailable.h"
#include "lab/Netem.h"
#include "lab/UserNamespace.h"
#include "link/LinkSpec.h"
#include "metrics/CsvReport.h"
#include "metrics/JsonReport.h"
#include "metrics/RunHeadline.h"
#include "metrics/RunInfo.h"
#include "metrics/TableReport.h"
#include "transport/Endpoint.h"
#include "transport/SocketStats.h"
#include "transport/TransportError.h"
#include "transport/TransportFactory.h"
#include "transport/rudp/RudpOptions.h"
#include "transport/rudp/RudpPackets.h"
#include "wire/Header.h"

#include <Poco/Util/Option.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>

namespace pigeon::app {

using Poco::Util::Option;

namespace {

// The largest --size (header included) each transport carries in one message.
std::size_t largestMessageBytes(transport::TransportKind kind) {
  if (kind == transport::TransportKind::kRudp) {
    return wire::kHeaderSize + transport::rudp::kMaxUserPayload;
  }
  return wire::kMaxDatagramSize - wire::kCrcSize;  // udp; tcp takes the same for a fair sweep
}

// What a shell reports for a program ended by the signal (128 + it: 130 for
// SIGINT, 143 for SIGTERM): a script sees the run was cut short even though
// what finished was printed and written.
int exitForSignal(int signal) { return 128 + (signal > 0 ? signal : SIGINT); }

std::string signalName(int signal) { return signal == SIGTERM ? "SIGTERM" : "Ctrl-C"; }

// SIGINT, SIGTERM and SIGQUIT during a run, taken by a SignalWatcher (so no
// signal lands in a thread that is busy, or about to end, with the run's flag
// unset: once in CI a Ctrl-C was never seen and the run went on to the end;
// construct it before any thread of the run starts). The first one stops the run
// (raised(): what finished is printed and written, a lab is taken down on
// the way out). A repeat within kRepeatWindow of the first is the same
// request: timeout(1) signals its child and then its process group, so a
// bench under it gets two, and the second used to kill it with its table
// unprinted and its files under their temporary names. A later second one
// exits 128 + the signal at once, as the default action would, removing
// this process's lab namespaces first.
class RunSignalGuard {
 public:
  static constexpr std::chrono::seconds kRepeatWindow{1};

  explicit RunSignalGuard(bool withLab)
      : withLab_(withLab), watcher_([this](int signal) { onSignal(signal); }) {}
  const std::atomic<bool>& raised() const { return raised_; }
  int signal() const { return signal_.load(); }

 private:
  void onSignal(int signal) {
    if (!raised_) {  // the first: stop the run (signal() set before raised())
      signal_ = signal;
      first_ = std::chrono::steady_clock::now();
      raised_ = true;
      return;
    }
    if (std::chrono::steady_clock::now() - first_ < kRepeatWindow) return;
    if (withLab_) lab::LabLink::removeOwn(lab::LabOptions{}.prefix);
    std::_Exit(128 + signal);
  }

  const bool withLab_;
  std::atomic<int> signal_{0};
  std::atomic<bool> raised_{false};
  std::chrono::steady_clock::time_point first_;  // the watcher's thread alone
  SignalWatcher watcher_;                        // last: it calls onSignal
};

}  // namespace

BenchCommand::BenchCommand()
    : Subcommand("bench", "[OPTIONS]",
                 "Runs one workload over several transports and prints one table: sent, "
                 "delivered, lost, duplicated, reordered, late, latency percentiles, jitter, "
                 "throughput. With no options it runs on loopback by itself (stream of 10000 "
                 "64-byte messages at 10000/s over udp, tcp and rudp). docs/results.md defines "
                 "every number.") {}

void BenchCommand::defineSubcommandOptions(Poco::Util::OptionSet& options) {
  const auto add = [&](const char* name, const char* shortName, const char* help,
                       const char* argument) {
    Option option(name, shortName, help);
    if (argument) option.argument(argument);
    option.binding(std::string("bench.") + name);
    options.addOption(option);
  };
  add("pattern", "P", "stream (one way, paced), pingpong (one in flight), burst, under-load",
      "NAME");
  add("transport", "t", "transports to compare (default: udp,tcp,rudp)", "LIST");
  add("count", "c", "messages per transport and size (default 10000)", "N");
  add("duration", "d", "run for SECONDS instead of a count", "SECONDS");
  add("rate", "r", "messages per second, 0 = as fast as possible (default 10000)", "N");
  add("size", "s",
      "bytes per message on the wire, header included; a list runs a sweep, "
      "e.g. 64,1400,8000 (default 64)",
      "LIST");
  add("deadline", "", "a message later than MS is counted late", "MS");
  add("burst", "", "burst pattern: messages per burst (default 100)", "N");
  add("probe-rate", "", "under-load pattern: latency probes per second (default 100)", "N");
  add("target", "",
      "an echo at HOST:PORT: `pigeon echo` (round trips and the one-way split) or any RFC 862 "
      "echo (round trips); pingpong unless --pattern stream or burst",
      "HOST:PORT");
  add("interval", "", "send a message every MS (the same as --rate 1000/MS)", "MS");
  add("link", "", "impair the path of UDP-based transports, e.g. loss=5%,delay=20ms", "SPEC");
  add("lab", "",
      "run every transport across one emulated link between two network namespaces "
      "(engine tun, root; docs/lab.md), e.g. loss=2%,delay=10ms",
      "SPEC");
  add("engine", "", "with --lab: tun (default, seeded) or netem (where the kernel has it)", "NAME");
  add("seed", "", "seed of the link's impairments (default 1)", "N");
  add("drain", "", "wait MS after the last message for stragglers (default 500)", "MS");
  add("timeout", "",
      "pingpong: give up on a probe's reply after MS (default: adaptive, 3 x the round "
      "trips seen, at least 10 ms)",
      "MS");
  add("explain", "", "under each table, one line per row saying what it means", nullptr);
  add("json", "", "write the results as JSON to FILE", "FILE");
  add("csv", "", "write the results as CSV to FILE", "FILE");
  add("log", "", "write one JSON line per received message to FILE", "FILE");
  add("nagle", "", "tcp: keep Nagle's algorithm on (off by default)", nullptr);
  add("cc", "", "tcp: congestion control, e.g. cubic or bbr (default: the kernel's)", "NAME");
  add("no-gso", "", "udp: send each batch with sendmmsg, not as one UDP GSO send", nullptr);
  add("kernel-stamps", "",
      "udp, one-way: time each arrival by the kernel's receive stamp (when the socket queued "
      "it), not when pigeon read it: the link's delay without the reader's (tcp, rudp: read "
      "time still)",
      nullptr);
  add("arq", "", "rudp: stop-and-wait, go-back-n or selective-repeat (default)", "NAME");
  add("delivery", "",
      "rudp: ordered (default, like tcp) or unordered (exactly once, as it "
      "arrives)",
      "MODE");
}

bench::BenchSettings BenchCommand::readSettings() const {
  bench::BenchSettings s;
  const auto text = [&](const char* key, const std::string& fallback = "") {
    return setting(std::string("bench.") + key, fallback);
  };
  const auto given = [&](const char* key) { return hasSetting(std::string("bench.") + key); };

  const auto pattern = bench::parsePattern(text("pattern", "stream"));
  if (!pattern) {
    throw UsageError("--pattern must be stream, pingpong, burst or under-load, not '" +
                     text("pattern") + "'");
  }
  s.pattern = *pattern;

  s.transports.clear();
  for (const auto& name : splitList("--transport", text("transport", "udp,tcp,rudp"))) {
    const auto kind = transport::parseTransportKind(name);
    if (!kind) {
      throw UsageError("--transport: unknown transport '" + name +
                       "' (known: " + std::string(transport::transportKindList()) + ")");
    }
    if (std::find(s.transports.begin(), s.transports.end(), *kind) == s.transports.end()) {
      s.transports.push_back(*kind);
    }
  }

  const std::size_t maxSize = wire::kMaxDatagramSize - wire::kCrcSize;
  s.sizesBytes.clear();
  for (const auto& size : splitList("--size", text("size", "64"))) {
    s.sizesBytes.push_back(parseCount("--size", size, wire::kHeaderSize + 8, maxSize));
  }
  // Each transport's own limit, before anything runs: rudp's data prefix
  // leaves it less room than a plain datagram.
  for (const transport::TransportKind kind : s.transports) {
    const std::size_t largest = largestMessageBytes(kind);
    for (std::size_t size : s.sizesBytes) {
      if (size > largest) {
        throw UsageError("--size " + std::to_string(size) + ": " +
                         std::string(transport::transportKindName(kind)) + " carries at most " +
                         std::to_string(largest) + " bytes per message, header included");
      }
    }
  }
  if (given("count") && given("duration")) throw UsageError("give --count or --duration, not both");
  if (given("count")) s.count = parseCount("--count", text("count"), 1, 1'000'000'000);
  if (given("duration")) s.durationS = parseNumber("--duration", text("duration"), 0.01, 86'400);
  if (given("rate")) s.ratePerS = parseNumber("--rate", text("rate"), 0, 10'000'000);
  if (s.pattern == bench::Pattern::kPingPong && !given("rate")) s.ratePerS = 0;
  if (given("deadline")) s.deadlineMs = parseNumber("--deadline", text("deadline"), 0, 3'600'000);
  if (given("burst")) s.burstSize = parseCount("--burst", text("burst"), 1, 1'000'000);
  if (given("probe-rate")) {
    s.probeRatePerS = parseNumber("--probe-rate", text("probe-rate"), 0.1, 100'000);
  }
  if (given("drain")) s.drainMs = parseNumber("--drain", text("drain"), 0, 600'000);
  if (given("timeout")) {
    s.probeTimeoutMs = parseNumber("--timeout", text("timeout"), 0.01, 600'000);
  }
  if (given("seed")) s.seed = parseCount("--seed", text("seed"), 0, SIZE_MAX);
  if (given("interval")) {
    if (given("rate")) throw UsageError("give --rate or --interval, not both");
    s.ratePerS = 1000.0 / parseNumber("--interval", text("interval"), 0.001, 3'600'000);
  }
  const bool paced = given("rate") || given("interval");
  s.target = text("target");
  if (!s.target.empty()) {
    transport::Endpoint::parse(s.target);  // the shape now; the name when the run starts
    if (!given("pattern")) {
      s.pattern = bench::Pattern::kPingPong;  // one in flight unless asked otherwise
      if (!paced) s.ratePerS = 0;
    }
    if (const std::string why = bench::PingPongClient::whyNotAgainstEcho(s.pattern); !why.empty()) {
      throw UsageError(why);
    }
    if (s.pattern != bench::Pattern::kPingPong && s.ratePerS <= 0) {
      throw UsageError("--target with --pattern " + bench::patternName(s.pattern) +
                       " needs a schedule: give --rate N or --interval MS (0 is pingpong's way)");
    }
  }
  s.linkSpec = text("link");
  if (!s.linkSpec.empty()) {
    try {
      // One precedence, per direction: up.seed=/down.seed=, then seed=, then
      // --seed (default 1). docs/link.md says it; the header shows the result.
      s.link = link::LinkSpec::parse(s.linkSpec).withFallbackSeed(s.seed);
    } catch (const link::LinkSpecError& e) {
      throw UsageError(std::string("--link: ") + e.what());
    }
  }
  if (given("lab")) {
    if (!s.linkSpec.empty()) throw UsageError("give --lab or --link, not both");
    if (!s.target.empty()) throw UsageError("--lab runs its own receiver: no --target");
    s.labSpec = text("lab");
    try {
      static_cast<void>(link::LinkSpec::parse(s.labSpec));
      if (s.labSpec.find("seed=") == std::string::npos) {
        s.labSpec += std::string(s.labSpec.empty() ? "" : ",") + "seed=" + std::to_string(s.seed);
      }
    } catch (const link::LinkSpecError& e) {
      throw UsageError(std::string("--lab: ") + e.what());
    }
    if (given("engine")) {
      s.labEngine = text("engine");
      try {
        if (lab::parseEngine(s.labEngine) == lab::Engine::kNetem) {
          const auto spec = link::LinkSpec::parse(s.labSpec);
          lab::netemArguments(spec.up);
          lab::netemArguments(spec.down);
        }
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--engine: ") + e.what());
      }
    }
  } else if (given("engine")) {
    throw UsageError("--engine belongs to --lab");
  }
  s.logPath = text("log");
  s.nagle = flag("bench.nagle");
  s.congestionControl = text("cc");
  if (!s.congestionControl.empty()) {
    try {
      transport::checkTcpCongestionControl(s.congestionControl);
    } catch (const transport::TransportError& e) {
      throw UsageError(std::string("--cc: ") + e.what());
    }
  }
  s.udpSegmentation = !flag("bench.no-gso");
  s.kernelStamps = flag("bench.kernel-stamps");
  if (s.kernelStamps && (s.pattern == bench::Pattern::kPingPong || !s.target.empty())) {
    throw UsageError(
        "--kernel-stamps times one-way arrivals at pigeon's own receiver: not for pingpong or "
        "--target, whose round trips end at the sender");
  }
  if (given("arq")) {
    const auto arq = transport::rudp::parseArqScheme(text("arq"));
    if (!arq) {
      throw UsageError("--arq must be stop-and-wait, go-back-n or selective-repeat, not '" +
                       text("arq") + "'");
    }
    s.arq = *arq;
  }
  if (given("delivery")) {
    const auto delivery = transport::rudp::parseDeliveryMode(text("delivery"));
    if (!delivery) {
      throw UsageError("--delivery must be ordered or unordered, not '" + text("delivery") + "'");
    }
    s.delivery = *delivery;
  }
  return s;
}

metrics::RunHeadline::ImpairedLink BenchCommand::linkHeadline(
    const bench::BenchSettings& settings) const {
  const link::LinkSpec& spec = *settings.link;
  const link::LinkSpec asGiven = link::LinkSpec::parse(settings.linkSpec);
  const auto seedSource = [&](const link::DirectionSpec& given) {
    return std::string(given.seed ? "the spec" : hasSetting("bench.seed") ? "--seed" : "default");
  };
  metrics::RunHeadline::ImpairedLink headline;
  headline.spec = settings.linkSpec;
  for (const transport::TransportKind t : settings.transports) {
    if (!transport::traitsOf(t).carriedByUdp) {
      headline.tcpBeside = true;
    } else {
      headline.udpTransports.emplace_back(transport::transportKindName(t));
    }
  }
  headline.up = link::describe(spec.up);
  headline.down = link::describe(spec.down);
  headline.upSeedSource = seedSource(asGiven.up);
  headline.downSeedSource = seedSource(asGiven.down);
  if (hasSetting("bench.seed") && asGiven.fullySeeded()) {
    headline.unusedSeed = std::to_string(settings.seed);
  }
  return headline;
}

int BenchCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("unexpected argument '" + args.front() + "'");
  bench::BenchSettings settings = readSettings();

  // Every output path is tried now, before anything is measured: a typo
  // costs one line, not a run. Each file appears whole, by rename, at the end.
  std::optional<OutputFile> json, csv, log;
  try {
    if (hasSetting("bench.json")) json.emplace("--json", setting("bench.json", ""));
    if (hasSetting("bench.csv")) csv.emplace("--csv", setting("bench.csv", ""));
    if (hasSetting("bench.log")) {
      log.emplace("--log", setting("bench.log", ""));
      settings.logPath = log->temporaryPath();
    }
  } catch (const OutputFile::CannotCreate& e) {
    report(e.what());
    return EXIT_CANTCREAT;
  }

  if (!settings.labSpec.empty()) {
    try {
      // A normal user: into a user namespace of its own, while single-threaded.
      lab::enterUserNamespaceUnlessRoot(settings.labEngine == "tun");
    } catch (const lab::LabUnavailable& e) {
      report(std::string("--lab not possible here: ") + e.what());
      return EXIT_NOPERM;
    }
  }
  // Before any thread of the run starts (they inherit its blocked signals).
  RunSignalGuard signals(!settings.labSpec.empty());
  std::vector<bench::CaseResult> cases;
  std::map<std::string, std::string> describe;
  std::string interrupted;
  int signal = 0;
  {
    bench::BenchRunner runner(settings);
    ProgressLine progress;
    runner.setProgress([&progress](const std::string& what) { progress.set(what); });
    try {
      cases = runner.run(signals.raised());
    } catch (const lab::LabUnavailable& e) {
      report(std::string("--lab not possible here: ") + e.what());
      return e.reason() == lab::LabUnavailable::Reason::kNoPermission ? EXIT_NOPERM
                                                                      : EXIT_UNAVAILABLE;
    }
    describe = runner.describe();
    interrupted = runner.interrupted();
    if (!interrupted.empty()) signal = signals.signal();
  }  // the runner closes the --log file here
  if (!interrupted.empty()) describe["interrupted"] = interrupted;

  std::vector<metrics::TransportResult> results;
  for (const auto& c : cases) results.push_back(c.result);

  metrics::RunHeadline::Facts headline;
  headline.describe = describe;
  headline.timed = settings.durationS.has_value();
  headline.paced = settings.ratePerS > 0;
  headline.pingPong = settings.pattern == bench::Pattern::kPingPong;
  if (!settings.labSpec.empty()) {
    headline.lab = metrics::RunHeadline::Lab{settings.labSpec, lab::LabLink::kNearAddress,
                                             lab::LabLink::kFarAddress, settings.labEngine};
  }
  if (settings.link) headline.link = linkHeadline(settings);
  headline.interrupted = interrupted;
  headline.interruptedBy = signalName(signal);
  headline.anyFinished = !cases.empty();
  metrics::RunHeadline::write(std::cout, headline);
  for (std::size_t size : settings.sizesBytes) {
    std::vector<metrics::TransportResult> sized;
    for (const auto& c : cases) {
      if (c.sizeBytes == size) sized.push_back(c.result);
    }
    if (sized.empty()) continue;
    std::cout << "\n" << size << "-byte messages\n";
    metrics::TableReport::Options table;
    table.explain = flag("bench.explain");
    metrics::TableReport::write(std::cout, sized, table);
  }
  std::cout << std::flush;

  // Each failure once more on stderr, whole, beside its row in the table.
  std::exception_ptr firstFailure;
  for (const auto& c : cases) {
    if (!c.result.error) continue;
    report(c.result.transport + " (" + std::to_string(c.sizeBytes) +
           "-byte messages) failed: " + *c.result.error);
    if (!firstFailure) firstFailure = c.failure;
  }

  const auto run = metrics::RunInfo::current(describe);
  try {
    if (json) {
      {
        std::ofstream out(json->temporaryPath(), std::ios::trunc);
        metrics::JsonReport::write(out, run, results);
        if (!out.flush())
          throw OutputFile::CannotCreate("cannot write --json file '" + json->path() + "'");
      }
      json->commit();
    }
    if (csv) {
      {
        std::ofstream out(csv->temporaryPath(), std::ios::trunc);
        metrics::CsvReport::write(out, results);
        if (!out.flush())
          throw OutputFile::CannotCreate("cannot write --csv file '" + csv->path() + "'");
      }
      csv->commit();
    }
    if (log) log->commit();
  } catch (const OutputFile::CannotCreate& e) {
    report(e.what());
    return EXIT_CANTCREAT;
  }
  if (!interrupted.empty()) return exitForSignal(signal);
  // The others' results are printed and written; the code says one failed.
  return firstFailure ? exitCodeFor(firstFailure) : EXIT_OK;
}

}  // namespace pigeon::app
