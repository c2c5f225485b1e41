#include "filexfer/FileName.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace pigeon::filexfer {

namespace {

constexpr std::size_t kMaxNameBytes = 255;  // NAME_MAX on Linux

bool isDeviceName(std::string_view name) {
  // Windows reserves these with any extension ("nul.txt"); a file sent to a
  // share or copied on must not be one.
  const std::string_view stem = name.substr(0, name.find('.'));
  std::string upper;
  for (const char c : stem) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static constexpr std::array<std::string_view, 4> kPlain = {"CON", "PRN", "AUX", "NUL"};
  if (std::find(kPlain.begin(), kPlain.end(), upper) != kPlain.end()) return true;
  return upper.size() == 4 && (upper.starts_with("COM") || upper.starts_with("LPT")) &&
         upper[3] >= '1' && upper[3] <= '9';
}

}  // namespace

std::optional<std::string> fileNameProblem(std::string_view name) {
  if (name.empty()) return "the name is empty";
  if (name.size() > kMaxNameBytes) {
    return "the name is " + std::to_string(name.size()) + " bytes (at most 255)";
  }
  if (name == "." || name == "..") return "the name is '.' or '..'";
  if (name.find('/') != std::string_view::npos) {
    return name.front() == '/' ? "the name is an absolute path" : "the name contains '/'";
  }
  if (name.find('\\') != std::string_view::npos) return "the name contains '\\'";
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return "the name contains a control character";
  }
  if (isDeviceName(name)) return "the name is a device name";
  return std::nullopt;
}

}  // namespace pigeon::filexfer
