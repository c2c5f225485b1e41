#include "app/Subcommands.h"

#include "app/ChatCommand.h"

namespace pigeon::app {

const std::vector<SubcommandEntry>& subcommands() {
  static const std::vector<SubcommandEntry> table = {
      {"chat", "one-to-one chat over udp or tcp; shows what the transport did",
       [] { return std::make_unique<ChatCommand>(); }},
  };
  return table;
}

}  // namespace pigeon::app
