#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pigeon::app {

// Parsers for option values a person types; each throws UsageError naming
// the option (`--size`) and the bad value.

// A list like "64,1400,8000".
std::vector<std::string> splitList(const std::string& option, const std::string& text);

// A non-negative decimal number, within [min, max].
double parseNumber(const std::string& option, const std::string& text, double min, double max);

// A whole number within [min, max].
std::size_t parseCount(const std::string& option, const std::string& text, std::size_t min,
                       std::size_t max);

}  // namespace pigeon::app
