#include "metrics/CsvReport.h"

#include "metrics/ResultFields.h"

#include <cstdio>
#include <sstream>

namespace pigeon::metrics {

namespace {

std::string quoted(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

struct CsvText {
  std::string operator()(std::monostate) const { return ""; }
  std::string operator()(std::uint64_t v) const { return std::to_string(v); }
  std::string operator()(double v) const {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.12g", v);
    return buffer;
  }
  std::string operator()(bool v) const { return v ? "true" : "false"; }
  std::string operator()(const std::string& v) const { return quoted(v); }
};

void writeRow(std::ostream& out, const std::vector<std::string>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i != 0) out << ',';
    out << cells[i];
  }
  out << "\r\n";
}

}  // namespace

void CsvReport::write(std::ostream& out, const std::vector<TransportResult>& results) {
  const auto counters = counterNames(results);
  std::vector<std::string> header;
  for (const auto& field : resultFields(TransportResult{}, counters)) {
    header.push_back(quoted(field.name));
  }
  writeRow(out, header);
  for (const auto& r : results) {
    std::vector<std::string> row;
    for (const auto& field : resultFields(r, counters)) {
      row.push_back(std::visit(CsvText{}, field.value));
    }
    writeRow(out, row);
  }
}

std::string CsvReport::toCsv(const std::vector<TransportResult>& results) {
  std::ostringstream out;
  write(out, results);
  return out.str();
}

}  // namespace pigeon::metrics
