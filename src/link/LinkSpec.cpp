#include "link/LinkSpec.h"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <iomanip>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

namespace pigeon::link {

namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr std::int64_t kMaxDurationNs = 60 * kNsPerSecond;
constexpr double kMinRateBitsPerSecond = 1e3;
constexpr double kMaxRateBitsPerSecond = 100e9;
constexpr std::uint64_t kMaxQueuePackets = 1'000'000;
constexpr std::uint64_t kMaxQueueBytes = 1'000'000'000;

const std::set<std::string, std::less<>> kKeys = {
    "loss", "burst", "delay", "jitter", "reorder", "duplicate", "corrupt", "rate", "queue", "seed"};

[[noreturn]] void fail(const std::string& message) { throw LinkSpecError("link spec: " + message); }

std::string quote(std::string_view text) {
  // Built piece by piece: GCC 12 at -O3 warns (-Wrestrict, wrongly) on
  // "'" + std::string(text) + "'".
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted += '\'';
  quoted += text;
  quoted += '\'';
  return quoted;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return result;
}

bool isNumberChar(char c) { return (c >= '0' && c <= '9') || c == '.'; }

// "12" or "1.5": digits with at most one point; no sign, exponent or inf.
bool parseDecimal(std::string_view text, double& value) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  for (const char c : text) {
    if (!isNumberChar(c)) return false;
  }
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

bool parseWhole(std::string_view text, std::uint64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// "20ms" -> {"20", "ms"}.
std::pair<std::string_view, std::string> splitUnit(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && isNumberChar(text[i])) ++i;
  return {text.substr(0, i), lower(text.substr(i))};
}

// The factor of `unit` among `units`; 0 if it is none of them.
template <typename T>
T factorOf(const std::string& unit, std::initializer_list<std::pair<std::string_view, T>> units) {
  for (const auto& [name, factor] : units) {
    if (unit == name) return factor;
  }
  return T{0};
}

double parseProbability(const std::string& name, std::string_view text) {
  const bool percent = !text.empty() && text.back() == '%';
  const std::string_view number = percent ? text.substr(0, text.size() - 1) : text;
  double value = 0.0;
  if (!parseDecimal(number, value) || value > (percent ? 100.0 : 1.0)) {
    fail(name + " must be a percentage from 0% to 100%, not " + quote(text));
  }
  return percent ? value / 100.0 : value;
}

std::int64_t parseDuration(const std::string& name, std::string_view text) {
  const auto [number, unit] = splitUnit(text);
  double value = 0.0;
  const double nsPerUnit =
      factorOf<double>(unit, {{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}});
  const bool ok =
      parseDecimal(number, value) && (nsPerUnit > 0.0 || (unit.empty() && value == 0.0));
  const double ns = value * nsPerUnit;
  if (!ok || ns > static_cast<double>(kMaxDurationNs)) {
    fail(name + " must be a duration from 0 to 60s such as 20ms, 500us or 1s, not " + quote(text));
  }
  return std::llround(ns);
}

std::uint64_t parseRate(const std::string& name, std::string_view text) {
  const auto [number, unit] = splitUnit(text);
  double value = 0.0;
  const double factor =
      factorOf<double>(unit, {{"bit", 1.0}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}});
  if (!parseDecimal(number, value) || value * factor < kMinRateBitsPerSecond ||
      value * factor > kMaxRateBitsPerSecond) {
    fail(name + " must be a rate from 1kbit to 100gbit such as 500kbit, 10mbit or 1gbit, not " +
         quote(text));
  }
  return static_cast<std::uint64_t>(std::llround(value * factor));
}

void parseQueue(const std::string& name, std::string_view text, DirectionSpec& spec) {
  const auto [number, unit] = splitUnit(text);
  std::uint64_t count = 0;
  const std::uint64_t bytesPerUnit = factorOf<std::uint64_t>(
      unit, {{"b", 1}, {"kb", 1000}, {"mb", 1000 * 1000}, {"kib", 1024}, {"mib", 1024 * 1024}});
  const bool packets = unit.empty() || unit == "p";
  const bool ok = parseWhole(number, count) && count > 0 && (packets || bytesPerUnit > 0) &&
                  (packets ? count <= kMaxQueuePackets : count <= kMaxQueueBytes / bytesPerUnit);
  if (!ok) {
    fail(name + " must be a packet count from 1 to 1000000 such as 100, or a size from 1b to 1gb" +
         " such as 64kb, not " + quote(text));
  }
  spec.queuePackets = packets ? static_cast<std::size_t>(count) : 0;
  spec.queueBytes = packets ? 0 : static_cast<std::size_t>(count * bytesPerUnit);
}

std::uint64_t parseSeed(const std::string& name, std::string_view text) {
  std::uint64_t seed = 0;
  if (!parseWhole(text, seed)) {
    fail(name + " must be a whole number from 0 to 18446744073709551615, not " + quote(text));
  }
  return seed;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    parts.push_back(
        text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

GilbertElliott parseBurst(const std::string& name, std::string_view text) {
  const auto parts = split(text, '/');
  if (parts.size() < 2 || parts.size() > 4) {
    fail(name + " must be P/R[/BAD[/GOOD]] such as 1%/30%, not " + quote(text));
  }
  GilbertElliott burst;
  burst.enterBadProbability = parseProbability(name + " P", parts[0]);
  burst.leaveBadProbability = parseProbability(name + " R", parts[1]);
  if (burst.leaveBadProbability <= 0.0) {
    fail(name + " R must be above 0% (the bad state would never end), not " + quote(parts[1]));
  }
  if (parts.size() > 2) burst.lossInBadProbability = parseProbability(name + " BAD", parts[2]);
  if (parts.size() > 3) burst.lossInGoodProbability = parseProbability(name + " GOOD", parts[3]);
  return burst;
}

void parseReorder(const std::string& name, std::string_view text, DirectionSpec& spec) {
  const auto slash = text.find('/');
  spec.reorderProbability = parseProbability(name, text.substr(0, slash));
  if (slash == std::string_view::npos) return;
  spec.reorderHoldNs = parseDuration(name + " hold", text.substr(slash + 1));
  if (spec.reorderHoldNs <= 0) fail(name + " hold must be above 0, not " + quote(text));
}

// DURATION, or DURATION/noreorder: the jitter never lets a copy overtake
// an earlier one (each leaves no sooner than the copy before it).
void parseJitter(const std::string& name, std::string_view text, DirectionSpec& spec) {
  const auto slash = text.find('/');
  spec.jitterNs = parseDuration(name, text.substr(0, slash));
  spec.keepOrder = false;
  if (slash == std::string_view::npos) return;
  if (text.substr(slash + 1) != "noreorder") {
    fail(name + ": after the duration only /noreorder may follow, not " + quote(text));
  }
  spec.keepOrder = true;
}

struct Item {
  std::string name;  // as written, e.g. "up.loss"
  std::string key;   // e.g. "loss"
  std::string_view value;
  bool up = true;
  bool down = true;
};

void apply(const Item& item, DirectionSpec& spec) {
  const std::string& key = item.key;
  const std::string& name = item.name;
  if (key == "loss") {
    spec.lossProbability = parseProbability(name, item.value);
  } else if (key == "burst") {
    spec.burst = parseBurst(name, item.value);
  } else if (key == "delay") {
    spec.delayNs = parseDuration(name, item.value);
  } else if (key == "jitter") {
    parseJitter(name, item.value, spec);
  } else if (key == "reorder") {
    parseReorder(name, item.value, spec);
  } else if (key == "duplicate") {
    spec.duplicateProbability = parseProbability(name, item.value);
  } else if (key == "corrupt") {
    spec.corruptProbability = parseProbability(name, item.value);
  } else if (key == "rate") {
    spec.rateBitsPerSecond = parseRate(name, item.value);
  } else if (key == "queue") {
    parseQueue(name, item.value, spec);
  } else if (key == "seed") {
    spec.seed = parseSeed(name, item.value);
  }
}

Item parseItem(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    fail(quote(text) + " is not KEY=VALUE (example: loss=5%)");
  }
  Item item;
  item.name = std::string(trim(text.substr(0, equals)));
  item.value = trim(text.substr(equals + 1));
  std::string_view key = item.name;
  if (key.starts_with("up.")) {
    item.down = false;
    key.remove_prefix(3);
  } else if (key.starts_with("down.")) {
    item.up = false;
    key.remove_prefix(5);
  }
  if (!kKeys.contains(key)) {
    fail("unknown key " + quote(item.name) +
         " (keys: loss, burst, delay, jitter, reorder, duplicate, corrupt, rate, queue, seed;"
         " up.KEY or down.KEY for one direction)");
  }
  item.key = std::string(key);
  return item;
}

void checkDirection(const DirectionSpec& spec, const std::string& direction) {
  if (spec.keepOrder && spec.reorderProbability > 0.0) {
    fail("jitter=.../noreorder keeps the order, reorder=... breaks it: not both in the " +
         direction + " direction");
  }
  if (spec.rateBitsPerSecond == 0 && (spec.queuePackets > 0 || spec.queueBytes > 0)) {
    fail("queue belongs to the rate limiter, but the " + direction +
         " direction has no rate (add rate=... or " + direction + ".rate=...)");
  }
}

}  // namespace

double GilbertElliott::stationaryLossProbability() const {
  const double sum = enterBadProbability + leaveBadProbability;
  const double bad = sum > 0.0 ? enterBadProbability / sum : 0.0;
  return bad * lossInBadProbability + (1.0 - bad) * lossInGoodProbability;
}

bool DirectionSpec::isClean() const {
  return lossProbability == 0.0 && !burst && delayNs == 0 && jitterNs == 0 &&
         reorderProbability == 0.0 && duplicateProbability == 0.0 && corruptProbability == 0.0 &&
         rateBitsPerSecond == 0;
}

LinkSpec LinkSpec::parse(std::string_view text) {
  std::vector<Item> items;
  std::set<std::string> seen;  // "up.loss", "down.loss", "loss"
  if (!trim(text).empty()) {
    for (const std::string_view part : split(text, ',')) {
      if (trim(part).empty()) fail("empty item in " + quote(text));
      Item item = parseItem(trim(part));
      const std::string scope = item.up && item.down ? "" : (item.up ? "up." : "down.");
      if (!seen.insert(scope + item.key).second) fail(quote(item.name) + " is given twice");
      items.push_back(std::move(item));
    }
  }
  LinkSpec spec;
  // Bare keys first, so a direction's own key wins whatever the order.
  for (const bool bare : {true, false}) {
    for (const Item& item : items) {
      if ((item.up && item.down) != bare) continue;
      if (item.up) apply(item, spec.up);
      if (item.down) apply(item, spec.down);
    }
  }
  for (auto* direction : {&spec.up, &spec.down}) {
    checkDirection(*direction, direction == &spec.up ? "up" : "down");
    if (direction->rateBitsPerSecond > 0 && direction->queuePackets == 0 &&
        direction->queueBytes == 0) {
      direction->queuePackets = DirectionSpec::kDefaultQueuePackets;
    }
  }
  return spec;
}

namespace {

std::string percent(double probability) {
  std::ostringstream out;
  out << std::setprecision(6) << probability * 100.0 << '%';
  return out.str();
}

std::string duration(std::int64_t ns) {
  if (ns == 0) return "0";
  if (ns % kNsPerSecond == 0) return std::to_string(ns / kNsPerSecond) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

std::string rate(std::uint64_t bitsPerSecond) {
  if (bitsPerSecond % 1'000'000'000 == 0)
    return std::to_string(bitsPerSecond / 1'000'000'000) + "gbit";
  if (bitsPerSecond % 1'000'000 == 0) return std::to_string(bitsPerSecond / 1'000'000) + "mbit";
  if (bitsPerSecond % 1'000 == 0) return std::to_string(bitsPerSecond / 1'000) + "kbit";
  return std::to_string(bitsPerSecond) + "bit";
}

}  // namespace

LinkSpec LinkSpec::withFallbackSeed(std::uint64_t fallback) const {
  LinkSpec seeded = *this;
  if (!seeded.up.seed) seeded.up.seed = fallback;
  if (!seeded.down.seed) seeded.down.seed = fallback;
  return seeded;
}

std::string describe(const DirectionSpec& spec) {
  std::vector<std::string> parts;
  if (spec.lossProbability > 0.0) parts.push_back("loss=" + percent(spec.lossProbability));
  if (spec.burst) {
    const GilbertElliott& b = *spec.burst;
    parts.push_back("burst=" + percent(b.enterBadProbability) + "/" +
                    percent(b.leaveBadProbability) + "/" + percent(b.lossInBadProbability) + "/" +
                    percent(b.lossInGoodProbability));
  }
  if (spec.delayNs > 0) parts.push_back("delay=" + duration(spec.delayNs));
  if (spec.jitterNs > 0) {
    parts.push_back("jitter=" + duration(spec.jitterNs) + (spec.keepOrder ? "/noreorder" : ""));
  }
  if (spec.reorderProbability > 0.0) {
    parts.push_back("reorder=" + percent(spec.reorderProbability) + "/" +
                    duration(spec.reorderHoldNs));
  }
  if (spec.duplicateProbability > 0.0) {
    parts.push_back("duplicate=" + percent(spec.duplicateProbability));
  }
  if (spec.corruptProbability > 0.0) parts.push_back("corrupt=" + percent(spec.corruptProbability));
  if (spec.rateBitsPerSecond > 0) parts.push_back("rate=" + rate(spec.rateBitsPerSecond));
  if (spec.queuePackets > 0) parts.push_back("queue=" + std::to_string(spec.queuePackets));
  if (spec.queueBytes > 0) parts.push_back("queue=" + std::to_string(spec.queueBytes) + "b");
  if (spec.seed) parts.push_back("seed=" + std::to_string(*spec.seed));
  if (parts.empty()) return "clean";
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : ",") + part;
  return text;
}

}  // namespace pigeon::link
