#pragma once

#include "app/Subcommand.h"

namespace pigeon::app {

// `pigeon chat`: one-to-one chat over udp or tcp.
class ChatCommand : public Subcommand {
 public:
  ChatCommand();

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;
};

}  // namespace pigeon::app
