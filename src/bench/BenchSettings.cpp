#include "bench/BenchSettings.h"

namespace pigeon::bench {

std::string patternName(Pattern pattern) {
  switch (pattern) {
    case Pattern::kStream:
      return "stream";
    case Pattern::kPingPong:
      return "pingpong";
    case Pattern::kBurst:
      return "burst";
    case Pattern::kUnderLoad:
      return "under-load";
  }
  return "stream";
}

std::optional<Pattern> parsePattern(const std::string& text) {
  for (Pattern p : {Pattern::kStream, Pattern::kPingPong, Pattern::kBurst, Pattern::kUnderLoad}) {
    if (patternName(p) == text) return p;
  }
  return std::nullopt;
}

}  // namespace pigeon::bench
