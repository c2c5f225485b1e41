#include "app/Subcommands.h"

#include "app/BenchCommand.h"
#include "app/ChatCommand.h"
#include "app/EchoCommand.h"
#include "app/LinkCommand.h"
#include "app/ReceiveCommand.h"
#include "app/SendCommand.h"

namespace pigeon::app {

const std::vector<SubcommandEntry>& subcommands() {
  static const std::vector<SubcommandEntry> table = {
      {"chat", "one-to-one chat over udp or tcp; shows what the transport did",
       [] { return std::make_unique<ChatCommand>(); }},
      {"echo", "reflector for round-trip measurements across hosts (udp, tcp)",
       [] { return std::make_unique<EchoCommand>(); }},
      {"bench", "one workload over udp and tcp side by side: loss, order, latency, jitter",
       [] { return std::make_unique<BenchCommand>(); }},
      {"link", "relay between two udp endpoints that loses, delays, reorders, duplicates",
       [] { return std::make_unique<LinkCommand>(); }},
      {"send", "one file to `pigeon receive`, checked by SHA-256",
       [] { return std::make_unique<SendCommand>(); }},
      {"receive", "stores files from `pigeon send` only when the SHA-256 matches",
       [] { return std::make_unique<ReceiveCommand>(); }},
  };
  return table;
}

}  // namespace pigeon::app
