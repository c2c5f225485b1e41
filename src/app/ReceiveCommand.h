#pragma once

#include "app/Subcommand.h"
#include "filexfer/FileOffer.h"

namespace pigeon::app {

// `pigeon receive`: waits for `pigeon send` and stores each file under its
// name in --dir only when its size and SHA-256 match (docs/files.md).
class ReceiveCommand : public Subcommand {
 public:
  ReceiveCommand();

  // The exit code for a receiver's verdict (both sides use it).
  static int exitCodeFor(filexfer::Verdict verdict);

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;
};

}  // namespace pigeon::app
