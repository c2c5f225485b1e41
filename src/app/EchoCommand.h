#pragma once

#include "app/Subcommand.h"

namespace pigeon::app {

// `pigeon echo`: a reflector for round-trip measurements across hosts
// (`pigeon bench --target HOST:PORT` on the other side).
class EchoCommand : public Subcommand {
 public:
  EchoCommand();

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;
};

}  // namespace pigeon::app
