#include "metrics/RunHeadline.h"

namespace pigeon::metrics {

void RunHeadline::write(std::ostream& out, const Facts& facts) {
  const auto& d = facts.describe;
  const std::string pace = facts.paced      ? " at " + d.at("rate_per_s") + "/s"
                           : facts.pingPong ? ", one in flight"
                                            : ", as fast as possible";
  out << "pigeon bench: " << d.at("pattern") << ", "
      << (facts.timed ? d.at("duration_s") + " s" : d.at("count") + " messages") << pace
      << ", target " << d.at("target") << "\n"
      << "one-way latency clock: " << d.at("one_way_clock") << "\n";
  if (const auto stamps = d.find("arrival_stamps"); stamps != d.end()) {
    out << "arrival stamps: " << stamps->second << "\n";
  }
  if (facts.lab) {
    out << "impaired link: " << facts.lab->spec << " (lab, engine " << facts.lab->engine
        << (facts.lab->engine == "netem" ? ", the kernel's netem: not pigeon's seeded decisions"
                                         : "")
        << ": every transport crosses the same emulated link, near " << facts.lab->nearAddress
        << " -> far " << facts.lab->farAddress << ")\n";
  }
  if (const auto echo = d.find("echo"); echo != d.end()) {
    out << "echo that answered: " << echo->second << "\n";
  }
  if (const auto probe = d.find("probe_timeout"); probe != d.end()) {
    out << "lost probe: no reply within the timeout, " << probe->second << "\n";
  }
  if (facts.link) writeLink(out, *facts.link);
  if (!facts.interrupted.empty()) {
    out << "INTERRUPTED (" << facts.interruptedBy << ") " << facts.interrupted << ": "
        << (facts.anyFinished ? "below is only what finished before it" : "nothing had finished")
        << "\n";
  }
}

void RunHeadline::writeLink(std::ostream& out, const ImpairedLink& link) {
  out << "impaired link: " << link.spec << " (applies to";
  for (const std::string& t : link.udpTransports) out << ' ' << t;
  out << (link.udpTransports.empty() ? " none" : "") << ")\n"
      << "  up:   " << link.up << " (seed from " << link.upSeedSource << ")\n"
      << "  down: " << link.down << " (seed from " << link.downSeedSource << ")\n";
  if (link.unusedSeed) {
    out << "  --seed " << *link.unusedSeed
        << " not used: the spec seeds both directions (a seed in the spec wins)\n";
  }
  if (link.tcpBeside) {
    out << "  tcp cannot cross a UDP relay: its column is a clean loopback, not a comparison on "
           "the same link\n";
  }
}

}  // namespace pigeon::metrics
