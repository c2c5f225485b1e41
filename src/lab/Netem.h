#pragma once

#include "link/LinkSpec.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace pigeon::lab {

// A SPEC item the netem engine cannot give as pigeon's model would (e.g.
// `reorder`, whose netem namesake sends packets early, not late).
class NetemUnsupported : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The arguments after `tc qdisc add dev DEV root netem` that give one
// direction of SPEC: delay/jitter (normal distribution), loss or a
// Gilbert-Elliott `loss gemodel`, duplicate, corrupt, rate and, for the
// rate's queue, `limit` in packets. netem draws from the kernel's own
// random numbers, so `seed` is not passed: its decisions are not pigeon's
// seeded ones. Throws NetemUnsupported naming what netem cannot do.
std::vector<std::string> netemArguments(const link::DirectionSpec& spec);

}  // namespace pigeon::lab
