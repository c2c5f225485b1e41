#pragma once

#include "app/Subcommand.h"
#include "bench/BenchSettings.h"
#include "metrics/RunHeadline.h"

namespace pigeon::app {

// `pigeon bench`: one workload over several transports, one table (and, if
// asked, JSON, CSV and a per-message log). With no options it runs on
// loopback by itself, starting its own receiver.
class BenchCommand : public Subcommand {
 public:
  BenchCommand();

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  bench::BenchSettings readSettings() const;
  // The facts of the link lines of the headline: what each direction runs with, where each
  // seed came from, and whether tcp is left out of the comparison.
  metrics::RunHeadline::ImpairedLink linkHeadline(const bench::BenchSettings& settings) const;
};

}  // namespace pigeon::app
