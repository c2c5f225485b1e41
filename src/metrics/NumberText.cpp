#include "metrics/NumberText.h"

#include <cmath>
#include <cstdio>

namespace pigeon::metrics {

std::string plainNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) < 1e15 ? "%.15g" : "%g", v);
  return buf;
}

}  // namespace pigeon::metrics
