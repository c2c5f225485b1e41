#pragma once

#include "app/Subcommand.h"
#include "link/LinkSpec.h"

#include <string>
#include <vector>

namespace pigeon::app {

// `pigeon lab SPEC [--far 'CMD'] -- CMD ...`: builds a lab link (two
// network namespaces joined by pigeon's seeded link emulator, docs/lab.md),
// runs CMD in the near namespace and the --far command in the far one, with
// the other side's address in PIGEON_LAB_PEER, and prints what the
// emulator did when CMD ends. Exits with CMD's status; EXIT_NOPERM or
// EXIT_UNAVAILABLE, after one line saying what is missing, where the
// machine cannot host a lab.
class LabCommand : public Subcommand {
 public:
  LabCommand();

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;
  std::string unknownOptionHint() const override;
};

// A SPEC with a fresh random seed in each direction that names none, so a
// run can be repeated exactly from what it printed. Throws UsageError.
link::LinkSpec seededSpec(const std::string& text);

}  // namespace pigeon::app
