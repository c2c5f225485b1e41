#include "lab/Netem.h"

#include <cstdio>

namespace pigeon::lab {

namespace {

std::string percent(double probability) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g%%", probability * 100.0);
  return text;
}

std::string microseconds(std::int64_t ns) { return std::to_string((ns + 500) / 1000) + "us"; }

}  // namespace

std::vector<std::string> netemArguments(const link::DirectionSpec& spec) {
  if (spec.reorderProbability > 0.0) {
    throw NetemUnsupported(
        "reorder= has no netem equivalent (netem's reorder sends packets early, pigeon's holds "
        "them back): use --engine tun");
  }
  if (spec.keepOrder) {
    throw NetemUnsupported("jitter=.../noreorder is the tun engine's: use --engine tun");
  }
  if (spec.burst && spec.lossProbability > 0.0) {
    throw NetemUnsupported("netem has one loss model: give loss= or burst=, not both");
  }
  if (spec.queueBytes > 0) {
    throw NetemUnsupported("netem's queue (limit) counts packets: give queue=N, not bytes");
  }
  std::vector<std::string> args;
  // netem needs a limit always; its default of 1000 packets also holds the
  // delayed ones, so without a rate it is sized for a 1 s delay at ~100k pps.
  const std::size_t limit =
      spec.rateBitsPerSecond > 0
          ? (spec.queuePackets > 0 ? spec.queuePackets : link::DirectionSpec::kDefaultQueuePackets)
          : 100'000;
  args.insert(args.end(), {"limit", std::to_string(limit)});
  if (spec.delayNs > 0 || spec.jitterNs > 0) {
    args.insert(args.end(), {"delay", microseconds(spec.delayNs)});
    if (spec.jitterNs > 0) {
      args.insert(args.end(), {microseconds(spec.jitterNs), "distribution", "normal"});
    }
  }
  if (spec.burst) {
    const link::GilbertElliott& b = *spec.burst;
    // netem's gemodel: p, r, 1-h (loss in bad), 1-k (loss in good).
    args.insert(args.end(),
                {"loss", "gemodel", percent(b.enterBadProbability), percent(b.leaveBadProbability),
                 percent(b.lossInBadProbability), percent(b.lossInGoodProbability)});
  } else if (spec.lossProbability > 0.0) {
    args.insert(args.end(), {"loss", "random", percent(spec.lossProbability)});
  }
  if (spec.duplicateProbability > 0.0) {
    args.insert(args.end(), {"duplicate", percent(spec.duplicateProbability)});
  }
  if (spec.corruptProbability > 0.0) {
    args.insert(args.end(), {"corrupt", percent(spec.corruptProbability)});
  }
  if (spec.rateBitsPerSecond > 0) {
    args.insert(args.end(), {"rate", std::to_string(spec.rateBitsPerSecond) + "bit"});
  }
  return args;
}

}  // namespace pigeon::lab
