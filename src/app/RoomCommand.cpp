#include "app/RoomCommand.h"

#include "app/FileLimit.h"
#include "app/OptionValues.h"
#include "app/TerminationSignals.h"
#include "room/RoomServer.h"
#include "transport/Endpoint.h"

#include <Poco/Thread.h>
#include <Poco/Util/Option.h>

#include <iostream>
#include <mutex>

namespace pigeon::app {

using Poco::Util::Option;

RoomCommand::RoomCommand()
    : Subcommand("room", "[--transport tcp|udp|rudp] [--port PORT] [--bind ADDR] [OPTIONS]",
                 "Serves a chat room. Members join with `pigeon chat --room HOST:PORT --nick "
                 "NAME` or any plain client (nc, nc -u, telnet, a script) and talk line by line; "
                 "/who, /nick NEW, /msg NICK text, /quit. Over udp each pigeon member's screen "
                 "shows what was lost, duplicated or reordered; over tcp nothing is. Runs until "
                 "interrupted (Ctrl-C), then prints its counters. See docs/rooms.md.") {}

void RoomCommand::defineSubcommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Option("transport", "t", "tcp (default), udp or rudp")
                        .argument("NAME")
                        .binding("room.transport"));
  options.addOption(Option("port", "p", "port to serve on (default 9100; 0: the kernel picks)")
                        .argument("PORT")
                        .binding("room.port"));
  options.addOption(Option("bind", "b", "local address (default: all, IPv6 and IPv4)")
                        .argument("ADDR")
                        .binding("room.bind"));
  options.addOption(Option("max-members", "", "members at once (default 1000)")
                        .argument("N")
                        .binding("room.max-members"));
  options.addOption(
      Option("max-per-address", "", "members from one address (IPv6: one /64) at once (default 64)")
          .argument("N")
          .binding("room.max-per-address"));
  options.addOption(Option("max-line", "", "bytes one line may have (default 1000)")
                        .argument("BYTES")
                        .binding("room.max-line"));
  options.addOption(Option("max-rate", "", "lines a second from one member (default 20)")
                        .argument("N")
                        .binding("room.max-rate"));
  options.addOption(Option("queue", "",
                           "lines waiting for one member; when full its oldest is dropped "
                           "(default 256)")
                        .argument("LINES")
                        .binding("room.queue"));
  options.addOption(Option("idle-timeout", "",
                           "udp: seconds of silence after which a member has left (default 120); "
                           "rudp: seconds without a datagram from it (at most 3)")
                        .argument("S")
                        .binding("room.idle-timeout"));
}

int RoomCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("unexpected argument '" + args.front() + "'");
  const std::string name = setting("room.transport", "tcp");
  const auto kind = transport::parseTransportKind(name);
  if (!kind) throw UsageError("--transport must be tcp, udp or rudp, not '" + name + "'");
  const std::uint16_t port = transport::parsePort(setting("room.port", "9100"));
  room::RoomLimits limits;
  if (hasSetting("room.max-members")) {
    limits.maxMembers = parseCount("--max-members", setting("room.max-members", ""), 1, 100'000);
  }
  if (hasSetting("room.max-per-address")) {
    limits.maxMembersPerAddress =
        parseCount("--max-per-address", setting("room.max-per-address", ""), 1, 100'000);
  }
  if (hasSetting("room.max-line")) {
    limits.maxLineBytes = parseCount("--max-line", setting("room.max-line", ""), 1, 4000);
  }
  if (hasSetting("room.max-rate")) {
    limits.linesPerS = parseNumber("--max-rate", setting("room.max-rate", ""), 0.1, 1e7);
    limits.burstLines = std::max(limits.linesPerS * 2, 10.0);
  }
  if (hasSetting("room.queue")) {
    limits.queueLines = parseCount("--queue", setting("room.queue", ""), 1, 100'000);
    limits.queueBytes = std::max(limits.queueBytes, limits.queueLines * 128);
  }
  if (hasSetting("room.idle-timeout")) {
    limits.idleTimeoutNs = static_cast<std::int64_t>(
        parseNumber("--idle-timeout", setting("room.idle-timeout", ""), 0.1, 86400) * 1e9);
  }
  raiseFileLimit();
  TerminationSignals signals;  // before any thread: a Ctrl-C ends it with its counters
  std::mutex logMutex;
  auto server = room::RoomServer::open(*kind, setting("room.bind", ""), port, limits,
                                       [&logMutex](const std::string& line) {
                                         std::lock_guard lock(logMutex);
                                         std::cerr << line << std::endl;
                                       });
  std::cerr << "* room: serving " << transport::transportKindName(*kind) << " on "
            << transport::formatAddress(server->localAddress()) << std::endl;
  std::atomic<bool> stop{false};
  Poco::Thread serving("room");
  serving.startFunc([&] { server->run(stop); });
  signals.wait();
  stop = true;
  serving.join();
  const auto c = server->counters();
  std::cerr << "* room " << transport::transportKindName(*kind) << ' '
            << transport::formatAddress(server->localAddress()) << ": joined " << c.joined
            << ", left " << c.left << ", expired " << c.expired << ", refused " << c.refused
            << ", lines in " << c.linesIn << ", fanned out " << c.fannedOut << ", dropped "
            << c.dropped << ", rate-limited " << c.rateLimited << ", too long " << c.tooLong
            << ", nicknames refused " << c.nicksRefused << ", malformed " << c.malformed
            << std::endl;
  return EXIT_OK;
}

}  // namespace pigeon::app
