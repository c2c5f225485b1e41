#include "metrics/TableReport.h"

#include "metrics/ResultFields.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace pigeon::metrics {

namespace {

struct TableText {
  int decimals;
  std::string operator()(std::monostate) const { return "n/a"; }
  std::string operator()(std::uint64_t v) const { return std::to_string(v); }
  std::string operator()(double v) const {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
    return buffer;
  }
  std::string operator()(bool v) const { return v ? "yes" : "no"; }
  std::string operator()(const std::string& v) const { return v; }
};

std::string padRight(const std::string& text, std::size_t width) {
  return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

std::string padLeft(const std::string& text, std::size_t width) {
  return std::string(width > text.size() ? width - text.size() : 0, ' ') + text;
}

}  // namespace

void TableReport::write(std::ostream& out, const std::vector<TransportResult>& results) {
  const auto counters = counterNames(results);
  std::vector<std::vector<ResultField>> columns;
  for (const auto& r : results) columns.push_back(resultFields(r, counters));
  const auto names = resultFields(TransportResult{}, counters);

  // rows[0] is the header; the first cell of each row is the metric.
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"metric"});
  for (const auto& r : results) rows[0].push_back(r.transport);
  for (std::size_t f = 1; f < names.size(); ++f) {  // field 0 is the transport
    const bool allNull = std::all_of(columns.begin(), columns.end(), [f](const auto& column) {
      return std::holds_alternative<std::monostate>(column[f].value);
    });
    if (allNull) continue;
    std::vector<std::string> row;
    const auto& field = names[f];
    row.push_back(field.unit.empty() ? field.label : field.label + " (" + field.unit + ")");
    for (std::size_t c = 0; c < columns.size(); ++c) {
      // A failed run measured nothing: "-", not zeros that look like a
      // perfect result. Its message is too long for a column: it goes in
      // the JSON and CSV, and bench prints it under the table.
      const bool failed = results[c].error.has_value();
      if (field.name == "error") {
        row.push_back(failed ? "FAILED" : "ok");
      } else {
        row.push_back(failed ? "-" : std::visit(TableText{field.decimals}, columns[c][f].value));
      }
    }
    rows.push_back(std::move(row));
  }

  std::vector<std::size_t> widths(results.size() + 1, 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  const auto writeRow = [&](const std::vector<std::string>& row) {
    std::string line = padRight(row[0], widths[0]);
    for (std::size_t c = 1; c < row.size(); ++c) line += "  " + padLeft(row[c], widths[c]);
    out << line << '\n';
  };
  writeRow(rows[0]);
  std::vector<std::string> rule;
  for (std::size_t width : widths) rule.push_back(std::string(width, '-'));
  writeRow(rule);
  for (std::size_t i = 1; i < rows.size(); ++i) writeRow(rows[i]);
}

std::string TableReport::toTable(const std::vector<TransportResult>& results) {
  std::ostringstream out;
  write(out, results);
  return out.str();
}

}  // namespace pigeon::metrics
