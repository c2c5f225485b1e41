#include "app/OptionValues.h"

#include "app/Subcommand.h"
#include "metrics/NumberText.h"

#include <charconv>
#include <cmath>

namespace pigeon::app {

std::vector<std::string> splitList(const std::string& option, const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string::npos ? text.size() : comma;
    std::string item = text.substr(start, end - start);
    if (item.empty()) throw UsageError(option + " has an empty item in '" + text + "'");
    items.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

double parseNumber(const std::string& option, const std::string& text, double min, double max) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || value < min || value > max) {
    throw UsageError(option + " must be a number from " + metrics::plainNumber(min) + " to " +
                     metrics::plainNumber(max) + ", not '" + text + "'");
  }
  return value;
}

std::size_t parseCount(const std::string& option, const std::string& text, std::size_t min,
                       std::size_t max) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    throw UsageError(option + " must be a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", not '" + text + "'");
  }
  return value;
}

}  // namespace pigeon::app
