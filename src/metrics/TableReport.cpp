#include "metrics/TableReport.h"

#include "metrics/ResultFields.h"

#include <algorithm>
#include <cstdio>
#include <optional>
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

void TableReport::write(std::ostream& out, const std::vector<TransportResult>& results,
                        const Options& options) {
  const auto counters = counterNames(results);
  std::vector<std::vector<ResultField>> columns;
  for (const auto& r : results) columns.push_back(resultFields(r, counters));
  const auto names = resultFields(TransportResult{}, counters);
  const bool echoMode = std::any_of(results.begin(), results.end(),
                                    [](const TransportResult& r) { return r.echo.has_value(); });

  struct Row {
    FieldGroup group;
    std::string key;
    std::string label;  // without the unit
    std::vector<std::string> cells;
  };
  std::vector<Row> rows;
  for (std::size_t f = 1; f < names.size(); ++f) {  // field 0 is the transport
    const bool allNull = std::all_of(columns.begin(), columns.end(), [f](const auto& column) {
      return std::holds_alternative<std::monostate>(column[f].value);
    });
    if (allNull) continue;
    const auto& field = names[f];
    Row row{field.group,
            field.key,
            echoMode && !field.echoLabel.empty() ? field.echoLabel : field.label,
            {}};
    row.cells.push_back(field.unit.empty() ? row.label : row.label + " (" + field.unit + ")");
    for (std::size_t c = 0; c < columns.size(); ++c) {
      // A failed run measured nothing: "-", not zeros that look like a
      // perfect result. Its message is too long for a column: it goes in
      // the JSON and CSV, and bench prints it under the table.
      const bool failed = results[c].error.has_value();
      if (field.name == "error") {
        row.cells.push_back(failed ? "FAILED" : "ok");
      } else {
        row.cells.push_back(failed ? "-"
                                   : std::visit(TableText{field.decimals}, columns[c][f].value));
      }
    }
    rows.push_back(std::move(row));
  }
  // Grouped, each group in report order (stable).
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.group < b.group; });

  constexpr std::size_t kIndent = 2;
  std::vector<std::size_t> widths(results.size() + 1, 0);
  widths[0] = std::string("metric").size();
  for (std::size_t c = 0; c < results.size(); ++c) widths[c + 1] = results[c].transport.size();
  for (const auto& row : rows) {
    const std::size_t indent = row.group == FieldGroup::kStatus ? 0 : kIndent;
    widths[0] = std::max(widths[0], row.cells[0].size() + indent);
    for (std::size_t c = 1; c < row.cells.size(); ++c) {
      widths[c] = std::max(widths[c], row.cells[c].size());
    }
  }
  const auto writeRow = [&](const std::vector<std::string>& cells, std::size_t indent) {
    std::string line = std::string(indent, ' ') + padRight(cells[0], widths[0] - indent);
    for (std::size_t c = 1; c < cells.size(); ++c) line += "  " + padLeft(cells[c], widths[c]);
    out << line << '\n';
  };
  std::vector<std::string> header{"metric"};
  for (const auto& r : results) header.push_back(r.transport);
  writeRow(header, 0);
  std::vector<std::string> rule;
  for (std::size_t width : widths) rule.push_back(std::string(width, '-'));
  writeRow(rule, 0);
  std::optional<FieldGroup> current;
  for (const auto& row : rows) {
    if (row.group != FieldGroup::kStatus && row.group != current) {
      current = row.group;
      std::string heading = groupName(row.group);
      if (row.group == FieldGroup::kLatency && echoMode) {
        heading += " (outbound and return: one-way; round trip: there and back)";
      }
      out << heading << '\n';
    }
    writeRow(row.cells, row.group == FieldGroup::kStatus ? 0 : kIndent);
  }

  out << "legend: n/a = does not apply to that transport; - = its run failed"
      << (options.explain ? "" : "; --explain says what each row means") << '\n';
  std::string behind;
  for (const auto& r : results) {
    if (r.behindSchedule.value_or(false)) behind += (behind.empty() ? "" : ", ") + r.transport;
  }
  if (!behind.empty()) {
    out << "WARNING: the sender fell behind its schedule (" << behind
        << ": send slip p99 above 1 ms): these figures describe a busy machine as much as the "
           "network\n";
  }
  if (options.explain) {
    out << "what the rows mean (docs/results.md):\n";
    std::vector<std::string> told;
    for (const auto& row : rows) {
      if (std::find(told.begin(), told.end(), row.key) != told.end()) continue;
      told.push_back(row.key);
      std::string label = row.label;
      // One line for all of a latency's percentiles.
      if (row.key == "latency_us" || row.key == "rtt_us" || row.key == "return_latency_us") {
        label.resize(label.rfind(' '));
        label += " (min .. mean)";
      }
      out << "  " << label << ": " << rowMeaning(row.key) << '\n';
    }
  }
}

std::string TableReport::toTable(const std::vector<TransportResult>& results,
                                 const Options& options) {
  std::ostringstream out;
  write(out, results, options);
  return out.str();
}

}  // namespace pigeon::metrics
