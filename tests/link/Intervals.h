#pragma once

// Statistical bounds the link tests compute from the configured values, so
// a test fails only when the model is wrong (about 1 time in 1000 per bound
// for a random seed; the seeds are fixed, so runs are repeatable).

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace pigeon::link::stats {

// Two-sided 99.9%: the standard normal quantile at 0.9995.
constexpr double kZ999 = 3.2905267314918945;

struct CountInterval {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  bool contains(std::uint64_t count) const { return count >= low && count <= high; }
};

// The central 99.9% interval of Binomial(n, p), exactly: the smallest low
// with P(X <= low) >= 0.0005 and the smallest high with P(X <= high) >= 0.9995.
inline CountInterval binomialInterval999(std::uint64_t n, double p) {
  if (p <= 0.0) return {0, 0};
  if (p >= 1.0) return {n, n};
  const double logP = std::log(p);
  const double logQ = std::log1p(-p);
  const double lgN = std::lgamma(static_cast<double>(n) + 1.0);
  CountInterval interval{n, n};
  bool haveLow = false;
  double cdf = 0.0;
  for (std::uint64_t k = 0; k <= n; ++k) {
    const double kd = static_cast<double>(k);
    const double nk = static_cast<double>(n - k);
    cdf += std::exp(lgN - std::lgamma(kd + 1.0) - std::lgamma(nk + 1.0) + kd * logP + nk * logQ);
    if (!haveLow && cdf >= 0.0005) {
      interval.low = k;
      haveLow = true;
    }
    if (cdf >= 0.9995) {
      interval.high = k;
      break;
    }
  }
  return interval;
}

// Half-width of the 99.9% interval of a mean of n samples with standard
// deviation sigma (the central limit theorem).
inline double meanTolerance999(double sigma, std::uint64_t n) {
  return kZ999 * sigma / std::sqrt(static_cast<double>(n));
}

// The 99.9% interval of a sample standard deviation around sigma, from the
// normal theory Var(s^2) = 2 sigma^4 / (n - 1) (conservative for the
// lighter-tailed sum-of-uniforms the model draws from).
inline void stddevBounds999(double sigma, std::uint64_t n, double& low, double& high) {
  const double spread = kZ999 * std::sqrt(2.0 / static_cast<double>(n - 1));
  low = sigma * std::sqrt(std::max(0.0, 1.0 - spread));
  high = sigma * std::sqrt(1.0 + spread);
}

}  // namespace pigeon::link::stats
