#include "app/EchoCommand.h"

#include "app/FileLimit.h"
#include "app/OptionValues.h"
#include "app/TerminationSignals.h"
#include "bench/EchoServer.h"
#include "transport/Endpoint.h"
#include "transport/TransportError.h"
#include "transport/TransportFactory.h"

#include <Poco/Util/Option.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace pigeon::app {

using Poco::Util::Option;

EchoCommand::EchoCommand()
    : Subcommand("echo",
                 "[--listen PORT] [--transport udp,tcp,rudp] [--bind ADDR] [--stamp] "
                 "[--max-rate N] [--max-total-rate N]",
                 "Reflects pigeon probes for round-trip measurements: run it on one host and "
                 "`pigeon bench --target HOST:PORT` on another: udp, tcp and rudp are served on "
                 "the one port. Each probe comes back the same "
                 "size, stamped with this host's receive time; each source is rate limited; "
                 "malformed datagrams are counted and dropped; plain text is echoed as is. "
                 "Runs until interrupted (Ctrl-C), then prints its counters.") {}

void EchoCommand::defineSubcommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Option("listen", "l", "port to serve on (default 9000; 0: the kernel picks)")
                        .argument("PORT")
                        .binding("echo.listen"));
  options.addOption(Option("transport", "t",
                           "transports to serve on that port: udp, tcp, rudp "
                           "(default all three, what `pigeon bench --target` asks for; udp "
                           "and rudp share the UDP socket, told apart per datagram)")
                        .argument("LIST")
                        .binding("echo.transport"));
  options.addOption(Option("bind", "b", "local address (default: all, IPv6 and IPv4)")
                        .argument("ADDR")
                        .binding("echo.bind"));
  options.addOption(Option("max-rate", "",
                           "replies per second to one source address, all its ports "
                           "together; IPv6: one /64 (default 200000)")
                        .argument("N")
                        .binding("echo.max-rate"));
  options.addOption(Option("stamp", "",
                           "tcp: answer each plain line with the time it came, "
                           "\"[Tue Dec  1 10:00:00 2026] hello\" (serves tcp only)")
                        .binding("echo.stamp"));
  options.addOption(
      Option("max-total-rate", "", "replies per second to all sources together (default 1000000)")
          .argument("N")
          .binding("echo.max-total-rate"));
}

int EchoCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("unexpected argument '" + args.front() + "'");
  const std::uint16_t port = transport::parsePort(setting("echo.listen", "9000"));
  bench::EchoOptions options;
  if (hasSetting("echo.max-rate")) {
    options.maxRatePerSource = parseNumber("--max-rate", setting("echo.max-rate", ""), 1, 1e8);
  }
  if (hasSetting("echo.max-total-rate")) {
    options.maxRateTotal =
        parseNumber("--max-total-rate", setting("echo.max-total-rate", ""), 1, 1e9);
  }
  const std::string bind = setting("echo.bind", "");
  transport::bindAddress(bind, port);  // a bad --bind is an error before anything else

  options.stampLines = flag("echo.stamp");
  std::vector<transport::TransportKind> kinds;
  const std::string defaultKinds = options.stampLines ? "tcp" : "udp,tcp,rudp";
  for (const auto& name : splitList("--transport", setting("echo.transport", defaultKinds))) {
    const auto kind = transport::parseTransportKind(name);
    if (!kind) {
      throw UsageError("--transport: unknown transport '" + name +
                       "' (known: " + std::string(transport::transportKindList()) + ")");
    }
    if (std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) kinds.push_back(*kind);
  }
  if (options.stampLines && kinds != std::vector{transport::TransportKind::kTcp}) {
    throw UsageError(
        "--stamp is for tcp only: over udp a stamped reply would be larger than the request "
        "(an amplifier for spoofed sources), and rudp carries no plain text");
  }
  raiseFileLimit();  // a TCP echo serves a thousand connections at once
  // Before the "serving" lines: a Ctrl-C right after them must still end
  // the echo with its counters, not kill it. No thread exists yet.
  TerminationSignals signals;
  std::optional<bench::EchoServer> server;
  try {
    server.emplace(kinds, bind, port, options);
  } catch (const transport::TransportError& e) {
    // Every transport takes the one port: say that none is served, not
    // only which one found it taken.
    if (e.code() != transport::TransportError::Code::kAddressInUse || kinds.size() < 2) throw;
    throw transport::TransportError(
        e.code(), std::string(e.what()) +
                      "; nothing is served (every transport takes the same port: --listen "
                      "another, or -t only those that are free)");
  }
  // Said once all are open: "serving udp" then a failure to bind tcp read
  // as if udp were served (a walkthrough).
  for (const transport::TransportKind kind : server->kinds()) {
    std::cerr << "* echo: serving " << transport::transportKindName(kind) << " on "
              << transport::formatAddress(server->localAddress(kind)) << std::endl;
  }
  server->start();
  signals.wait();
  server->stop();
  for (const transport::TransportKind kind : server->kinds()) {
    const auto c = server->counters(kind);
    // Two transports share one port: the name says which line is which.
    std::cerr << "* echo " << transport::transportKindName(kind) << ' '
              << transport::formatAddress(server->localAddress(kind)) << ": reflected "
              << c.reflected << ", malformed " << c.malformed << ", rate-limited " << c.rateLimited
              << ", ignored " << c.ignored << ", peers " << c.peers
              << (c.peersAtLeast ? " or more" : "") << ", refused " << c.refused << ", looped "
              << c.looped << ", closed idle " << c.closedIdle << ", closed stalled "
              << c.closedStalled << std::endl;
  }
  return EXIT_OK;
}

}  // namespace pigeon::app
