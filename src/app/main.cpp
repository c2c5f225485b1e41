// pigeon: a UDP datagram messenger with a TCP mode, and a lab that measures
// what each transport does to messages. `pigeon SUBCOMMAND [OPTIONS]`.

#include "app/Subcommands.h"

#include <Poco/Util/Application.h>

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

namespace {

void printOverview(std::ostream& out) {
  out << "usage: pigeon SUBCOMMAND [OPTIONS]\n\n"
         "A UDP datagram messenger with a TCP mode and rudp (pigeon's reliable protocol\n"
         "on UDP), and a lab that measures what each transport (udp, tcp, rudp) does to\n"
         "messages: loss, duplicates, reordering, latency, jitter.\n\n"
         "subcommands:\n";
  for (const auto& entry : pigeon::app::subcommands()) {
    out << "  " << entry.name << std::string(10 - entry.name.size(), ' ') << entry.purpose << '\n';
  }
  out << "\n'pigeon SUBCOMMAND --help' shows a subcommand's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that vanishes mid-send is an error to report, not a signal.
  std::signal(SIGPIPE, SIG_IGN);

  using Poco::Util::Application;
  if (argc < 2) {
    printOverview(std::cerr);
    return Application::EXIT_USAGE;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    printOverview(std::cout);
    return Application::EXIT_OK;
  }
  if (first == "--version" || first == "-V") {
    std::cout << "pigeon " << PIGEON_VERSION << '\n';
    return Application::EXIT_OK;
  }
  for (const auto& entry : pigeon::app::subcommands()) {
    if (entry.name != first) continue;
    auto command = entry.make();
    std::vector<std::string> args{"pigeon-" + first};
    args.insert(args.end(), argv + 2, argv + argc);
    if (const int rc = command->parse(args); rc != Application::EXIT_OK) return rc;
    return command->run();
  }
  std::cerr << "pigeon: unknown subcommand '" << first << "' (try 'pigeon --help')\n";
  return Application::EXIT_USAGE;
}
