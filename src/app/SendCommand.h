#pragma once

#include "app/Subcommand.h"

namespace pigeon::app {

// `pigeon send FILE --to HOST:PORT`: one file to `pigeon receive`, checked
// end to end by SHA-256 (docs/files.md).
class SendCommand : public Subcommand {
 public:
  SendCommand();

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;
};

}  // namespace pigeon::app
