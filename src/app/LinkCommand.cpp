#include "app/LinkCommand.h"

#include "app/TerminationSignals.h"
#include "transport/Endpoint.h"
#include "transport/SocketErrors.h"
#include "transport/SocketStats.h"
#include "transport/TransportError.h"

#include "chat/ChatSession.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Util/Option.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

namespace pigeon::app {

using Poco::Util::Option;
using transport::Endpoint;
using transport::formatAddress;
using transport::TransportError;

namespace {

// Datagrams the kernel dropped at a relay socket's receive buffer (the relay
// fell behind): lost, though neither the model nor the relay dropped them.
std::string socketDrops(int fd) {
  const auto drops = transport::socketDrops(fd);
  return drops ? std::to_string(*drops) : std::string("n/a");
}

std::string counterLine(const link::RelayCounters& c, int receivingFd) {
  std::ostringstream out;
  out << "received=" << c.received << " sent=" << c.sent << " dropped=" << c.model.dropped()
      << " (loss=" << c.model.droppedByLoss << " burst=" << c.model.droppedByBurst
      << " queue=" << c.model.droppedByQueue << "; control=" << c.controlDropped
      << ") duplicated=" << c.model.duplicated << " corrupted=" << c.model.corrupted
      << " reordered=" << c.reordered << " held-back=" << c.model.heldBack
      << " overflow=" << c.overflow << " send-errors=" << c.sendErrors
      << " unreachable=" << c.unreachable << " ignored=" << c.ignored
      << " socket-drops=" << socketDrops(receivingFd);
  return out.str();
}

// On the relay's port over TCP: every connection gets one line saying the
// relay carries UDP only, and is closed. A `chat -t tcp` or `bench -t tcp`
// pointed at the relay then says so instead of "connection refused".
// Without the port free for TCP there is no notice, and nothing else changes.
class UdpOnlyNotice {
 public:
  explicit UdpOnlyNotice(const Poco::Net::SocketAddress& at) {
    try {
      socket_.bind(at, /*reuseAddress=*/true);
      socket_.listen(16);
    } catch (const Poco::Exception&) {
      return;
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~UdpOnlyNotice() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void serve() {
    const std::string line = std::string(chat::ChatSession::kLinkNoticePrefix) +
                             "this port relays UDP only (udp, rudp); tcp cannot cross it: use -t "
                             "udp or -t rudp, or `pigeon lab` for tcp\n";
    while (!stop_) {
      try {
        if (!socket_.poll(Poco::Timespan(0, 200'000), Poco::Net::Socket::SELECT_READ)) continue;
        Poco::Net::StreamSocket client = socket_.acceptConnection();
        client.setBlocking(false);
        try {
          client.sendBytes(line.data(), static_cast<int>(line.size()), MSG_NOSIGNAL);
        } catch (const Poco::Exception&) {
          // the client left first
        }
        client.shutdownSend();
        // What the client sent meanwhile (a chat's greeting) is read, for at
        // most 200 ms, so that closing sends no reset that would discard the
        // line before the client has read it.
        char sink[4096];
        for (int i = 0;
             i < 20 && client.poll(Poco::Timespan(0, 10'000), Poco::Net::Socket::SELECT_READ);
             ++i) {
          try {
            if (client.receiveBytes(sink, sizeof sink) <= 0) break;
          } catch (const Poco::Exception&) {
            break;
          }
        }
        client.close();
      } catch (const Poco::Exception&) {
        // one failed accept: serve on
      }
    }
  }

  Poco::Net::ServerSocket socket_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

LinkCommand::LinkCommand()
    : Subcommand("link", "--listen PORT --forward HOST:PORT [--bind ADDR] [SPEC | --spec SPEC]",
                 "A UDP relay that impairs what passes through it. The first source to send "
                 "to PORT is the client; its datagrams go to HOST:PORT (up) and the replies "
                 "come back (down). SPEC is KEY=VALUE items joined by commas, e.g. "
                 "loss=5%,delay=20ms,jitter=5ms,seed=7; keys: loss, burst, delay, jitter, "
                 "reorder, duplicate, corrupt, rate, queue, seed; up.KEY or down.KEY for one "
                 "direction (see docs/link.md). Runs until SIGINT or SIGTERM, then prints "
                 "what it did to each direction.") {}

void LinkCommand::defineSubcommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Option("listen", "l", "wait for the client on PORT (0: the kernel picks one)")
                        .argument("PORT")
                        .binding("link.listen"));
  options.addOption(Option("forward", "f", "send the client's datagrams to HOST:PORT")
                        .argument("HOST:PORT")
                        .binding("link.forward"));
  options.addOption(Option("bind", "b", "local address to listen on (default: all, IPv6 and IPv4)")
                        .argument("ADDR")
                        .binding("link.bind"));
  options.addOption(Option("spec", "s", "the impairments (or give SPEC as the argument; not both)")
                        .argument("SPEC")
                        .binding("link.spec"));
}

link::LinkSpec LinkCommand::readSpec(const std::vector<std::string>& args) const {
  if (args.size() > 1) {
    throw UsageError(
        "give one SPEC, with its items joined by commas (loss=5%,delay=20ms), "
        "not " +
        std::to_string(args.size()) + " arguments");
  }
  if (!args.empty() && hasSetting("link.spec")) {
    // `--spec loss=5% delay=10ms`: the shell split one SPEC in two, and the
    // stray half must not silently replace the --spec half.
    throw UsageError(
        "give the SPEC once, either with --spec or as an argument, with its items "
        "joined by commas (loss=5%,delay=10ms); unexpected argument '" +
        args.front() + "'");
  }
  link::LinkSpec spec;
  try {
    spec = link::LinkSpec::parse(args.empty() ? setting("link.spec", "") : args.front());
  } catch (const link::LinkSpecError& e) {
    throw UsageError(e.what());
  }
  if (spec.fullySeeded()) return spec;
  // A direction without a seed gets a fresh one, printed with the spec so the
  // run can be repeated exactly.
  std::random_device entropy;
  return spec.withFallbackSeed((std::uint64_t{entropy()} << 32) ^ entropy());
}

std::unique_ptr<link::LinkRelay> LinkCommand::openRelay(
    const link::LinkSpec& spec, const Poco::Net::SocketAddress& target) const {
  const std::string bind = setting("link.bind", "");
  std::uint16_t port = 0;
  try {
    port = transport::parsePort(setting("link.listen", ""));
  } catch (const TransportError& e) {
    throw UsageError(std::string("--listen: ") + e.what());
  }
  Poco::Net::SocketAddress local = transport::bindAddress(bind, port);
  try {
    return transport::listenWithFallback(bind, port, [&](const Poco::Net::SocketAddress& at) {
      local = at;
      return std::make_unique<link::LinkRelay>(spec, at, target);
    });
  } catch (const Poco::Exception& e) {
    throw transport::translateSocketError(
        e, "udp relay " + formatAddress(local) + " -> " + formatAddress(target));
  }
}

int LinkCommand::execute(const std::vector<std::string>& args) {
  if (!hasSetting("link.listen")) throw UsageError("--listen PORT is required");
  if (!hasSetting("link.forward")) throw UsageError("--forward HOST:PORT is required");
  const link::LinkSpec spec = readSpec(args);
  const Poco::Net::SocketAddress target = Endpoint::parse(setting("link.forward", "")).resolve();
  auto relay = openRelay(spec, target);

  TerminationSignals signals;  // before the relay's thread exists
  relay->start();
  UdpOnlyNotice notice(relay->address());
  // One write per report, so a script reading stderr never sees half a line.
  std::cerr << ("* link: listening on " + formatAddress(relay->address()) + "; forwarding to " +
                formatAddress(target) + "\n* link: up (client -> target): " + describe(spec.up) +
                "\n* link: down (target -> client): " + describe(spec.down) + "\n")
            << std::flush;

  // Also ends when the relay's thread has died.
  while (relay->running() && signals.waitFor(200) == 0) {
  }
  relay->stopForwarding();  // the sockets stay open for their drop counts
  // Up arrives at the socket facing the client, down at the one facing the
  // target; each was new with the relay, so its count is the run's.
  std::cerr << ("* link: up: " + counterLine(relay->upCounters(), relay->clientSocketHandle()) +
                "\n* link: down: " +
                counterLine(relay->downCounters(), relay->targetSocketHandle()) + "\n")
            << std::flush;
  relay->stop();
  if (const std::string error = relay->error(); !error.empty()) {
    throw TransportError(TransportError::Code::kOther, error);
  }
  return EXIT_OK;
}

}  // namespace pigeon::app
