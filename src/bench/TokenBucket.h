#pragma once

#include <algorithm>
#include <cstdint>

namespace pigeon::bench {

// A token bucket: `ratePerS` tokens a second, at most `burst` saved up.
// Time is passed in. Not thread safe.
class TokenBucket {
 public:
  TokenBucket(double ratePerS, double burst, std::int64_t nowNs)
      : ratePerS_(ratePerS), burst_(burst), tokens_(burst), lastNs_(nowNs) {}

  // Takes one token if there is one.
  bool take(std::int64_t nowNs) {
    if (nowNs > lastNs_) {
      tokens_ = std::min(burst_, tokens_ + static_cast<double>(nowNs - lastNs_) * ratePerS_ / 1e9);
      lastNs_ = nowNs;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double ratePerS_;
  double burst_;
  double tokens_;
  std::int64_t lastNs_;
};

}  // namespace pigeon::bench
