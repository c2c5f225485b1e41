#include "app/Subcommands.h"

#include "app/BenchCommand.h"
#include "app/ChatCommand.h"
#include "app/EchoCommand.h"
#include "app/LabCommand.h"
#include "app/LinkCommand.h"
#include "app/ReceiveCommand.h"
#include "app/RoomCommand.h"
#include "app/SendCommand.h"

namespace pigeon::app {

const std::vector<SubcommandEntry>& subcommands() {
  static const std::vector<SubcommandEntry> table = {
      {"chat", "one-to-one chat over udp, tcp or rudp; shows what the transport did",
       [] { return std::make_unique<ChatCommand>(); }},
      {"room", "chat room for many: pigeon chat --room, nc and nc -u join; /who /nick /msg",
       [] { return std::make_unique<RoomCommand>(); }},
      {"echo", "reflector for round-trip measurements across hosts (udp, tcp, rudp)",
       [] { return std::make_unique<EchoCommand>(); }},
      {"bench", "one workload over udp, tcp and rudp side by side: loss, order, latency",
       [] { return std::make_unique<BenchCommand>(); }},
      {"link", "relay between two udp endpoints that loses, delays, reorders, duplicates",
       [] { return std::make_unique<LinkCommand>(); }},
      {"lab", "runs programs across one emulated link: tcp, udp and icmp alike (root)",
       [] { return std::make_unique<LabCommand>(); }},
      {"send", "one file to `pigeon receive`, checked by SHA-256",
       [] { return std::make_unique<SendCommand>(); }},
      {"receive", "stores files from `pigeon send` only when the SHA-256 matches",
       [] { return std::make_unique<ReceiveCommand>(); }},
  };
  return table;
}

}  // namespace pigeon::app
