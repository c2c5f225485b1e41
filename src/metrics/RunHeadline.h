#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pigeon::metrics {

// The lines `pigeon bench` prints above its tables: what ran, against what
// clock, across which link, and whether it was cut short. Plain values in,
// text out, so a report layer owns the wording and a subcommand only wires.
class RunHeadline {
 public:
  // A --lab run: every transport crosses one emulated link between two
  // namespaces.
  struct Lab {
    std::string spec;  // as the run used it, seed included
    std::string nearAddress;
    std::string farAddress;
    std::string engine = "tun";  // or "netem": the kernel's decisions, not pigeon's seeded ones
  };

  // A --link run: a UDP relay impairs the UDP-carried transports.
  struct ImpairedLink {
    std::string spec;                        // as given on the command line
    std::vector<std::string> udpTransports;  // the columns that cross the relay
    bool tcpBeside = false;                  // a tcp column runs on clean loopback
    std::string up;                          // each direction, described
    std::string down;
    std::string upSeedSource;  // "the spec", "--seed" or "default"
    std::string downSeedSource;
    // --seed N given although the spec seeds both directions: N, unused.
    std::optional<std::string> unusedSeed;
  };

  struct Facts {
    // The run's settings as BenchRunner::describe() names them: pattern,
    // duration_s, count, rate_per_s, target, one_way_clock, probe_timeout.
    std::map<std::string, std::string> describe;
    bool timed = false;     // --duration given: the run is counted in seconds
    bool paced = false;     // --rate given
    bool pingPong = false;  // one message in flight at a time
    std::optional<Lab> lab;
    std::optional<ImpairedLink> link;
    std::string interrupted;               // the signal's description; empty: ran to the end
    std::string interruptedBy = "Ctrl-C";  // which signal: Ctrl-C or SIGTERM
    bool anyFinished = false;              // at least one case finished before an interrupt
  };

  static void write(std::ostream& out, const Facts& facts);

 private:
  static void writeLink(std::ostream& out, const ImpairedLink& link);
};

}  // namespace pigeon::metrics
