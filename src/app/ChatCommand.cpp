#include "app/ChatCommand.h"

#include "app/ConnectRetryNote.h"
#include "app/ConsoleOutput.h"
#include "app/LineReader.h"
#include "app/OptionValues.h"
#include "app/TerminationSignals.h"
#include "chat/Nickname.h"
#include "transport/Endpoint.h"
#include "transport/TransportError.h"
#include "transport/TransportFactory.h"
#include "transport/UdpTransport.h"

#include <Poco/Environment.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Util/Option.h>

#include <poll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>

#include <Poco/Thread.h>

namespace pigeon::app {

using Poco::Util::Option;
using transport::Endpoint;
using transport::formatAddress;

namespace {

const Poco::Timespan kPoll(0, 100'000);
// A pigeon answers a greeting within a round trip; this long with nothing
// is a peer that does not hear udp, or nothing there at all.
constexpr std::chrono::seconds kUnansweredNoteAfter{3};

std::string defaultNick() {
  const std::string user = Poco::Environment::get("USER", "");
  return user.empty() ? "pigeon" : user;
}

// True when `fd` is at its end with nothing left to read: a pipe whose
// writer has gone, or a regular file (`< lines.txt`) read to the end. Looks without consuming,
// since lines waiting in the pipe belong to the peer that has not arrived yet.
bool inputAtEnd(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    const off_t at = ::lseek(fd, 0, SEEK_CUR);
    return at >= 0 && at >= info.st_size;
  }
  // /dev/null (`< /dev/null`, a service, CI) polls readable and reads as
  // the end; any other device may hold input that a test read would take.
  if (S_ISCHR(info.st_mode) && major(info.st_rdev) == 1 && minor(info.st_rdev) == 3) return true;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1) return false;
  return (p.revents & (POLLHUP | POLLNVAL)) != 0 && (p.revents & POLLIN) == 0;
}

// A listener with nothing to say once its peer comes says so while it
// waits, once, so an empty pipe or /dev/null is not mistaken for a hang.
void noteIfInputEnded(bool& told, chat::ChatOutput& output) {
  if (told || !inputAtEnd(STDIN_FILENO)) return;
  told = true;
  output.status(
      "* input ended before a peer arrived: still waiting for one, then leaving at once "
      "(nothing to send; Ctrl-C stops waiting)");
}

}  // namespace

ChatCommand::ChatCommand()
    : Subcommand("chat",
                 "(--listen PORT | --peer HOST:PORT | --room HOST:PORT) [--transport udp|tcp|rudp] "
                 "[OPTIONS]",
                 "One-to-one chat. Lines typed on stdin go to the peer; what the peer sends "
                 "is shown on stdout with what the transport did to it (gaps, reordering, "
                 "duplicates). /quit, the line 'quit' or the end of stdin ends the chat. "
                 "Plain peers (nc, nc -u, socat, raw socket scripts) work without flags on "
                 "their side. --room joins a `pigeon room` (docs/rooms.md).") {}

void ChatCommand::defineSubcommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(
      Option("transport", "t", "udp (default; tcp with --room), tcp, or rudp (reliable, on UDP)")
          .argument("NAME")
          .binding("chat.transport"));
  options.addOption(Option("listen", "l", "wait for a peer on PORT (0: the kernel picks one)")
                        .argument("PORT")
                        .binding("chat.listen"));
  options.addOption(Option("peer", "p", "talk to the peer at HOST:PORT ([::1]:9000 for IPv6)")
                        .argument("HOST:PORT")
                        .binding("chat.peer"));
  options.addOption(Option("room", "r",
                           "join the room at HOST:PORT (`pigeon room`); its transport "
                           "defaults to tcp")
                        .argument("HOST:PORT")
                        .binding("chat.room"));
  options.addOption(Option("bind", "b", "local address to listen on (default: all, IPv6 and IPv4)")
                        .argument("ADDR")
                        .binding("chat.bind"));
  options.addOption(Option("nick", "n", "your name as the peer sees it (default: $USER)")
                        .argument("NAME")
                        .binding("chat.nick"));
  options.addOption(Option("plain", "",
                           "speak plain text first, for a peer such as nc or socat "
                           "that is waiting for you")
                        .binding("chat.plain"));
  options.addOption(Option("keepalive", "",
                           "udp, tcp with a pigeon peer: seconds between keepalives; a peer "
                           "silent for 3 of them is said to have gone quiet (default 1; 0: off)")
                        .argument("SECONDS")
                        .binding("chat.keepalive"));
}

std::unique_ptr<transport::Transport> ChatCommand::open(transport::TransportKind kind,
                                                        bool listening, chat::ChatOutput& output) {
  const std::string bind = setting("chat.bind", "");
  if (listening) {
    const auto port = transport::parsePort(setting("chat.listen", ""));
    if (kind == transport::TransportKind::kUdp) {
      auto udp = transport::listenWithFallback(
          bind, port, [](const auto& local) { return transport::UdpTransport::listen(local); });
      output.status("* listening on udp " + formatAddress(udp->localAddress()) +
                    "; waiting for a peer to speak");
      return udp;
    }
    auto listener = transport::listenWithFallback(
        bind, port, [kind](const auto& local) { return transport::listenOn(kind, local); });
    output.status("* listening on " + std::string(transport::transportKindName(kind)) + " " +
                  formatAddress(listener->localAddress()) + "; waiting for a peer to connect");
    std::optional<Poco::Net::SocketAddress> toldOf;
    bool toldInputEnded = false;
    while (true) {
      noteIfInputEnded(toldInputEnded, output);
      if (auto connection = listener->accept(kPoll)) {
        output.status("* connection from " + formatAddress(connection->peerAddress()));
        return connection;
      }
      if (const auto stranger = listener->wrongProtocolPeer(); stranger && stranger != toldOf) {
        toldOf = stranger;
        output.status("* " + formatAddress(*stranger) +
                      " is knocking with plain udp (pigeon frames without rudp's handshake), but "
                      "this chat listens on rudp: the peer needs -t rudp; still waiting");
      }
    }
  }
  const bool room = hasSetting("chat.room");
  const auto endpoint = Endpoint::parse(setting(room ? "chat.room" : "chat.peer", ""));
  if (endpoint.port == 0) {
    throw UsageError(std::string(room ? "--room" : "--peer") +
                     " needs a port from 1 to 65535, not 0");
  }
  const auto peer = endpoint.resolve();
  std::optional<Poco::Net::SocketAddress> local;
  if (!bind.empty()) local = transport::bindAddress(bind, 0);
  if (kind == transport::TransportKind::kUdp) {
    auto udp = transport::UdpTransport::connect(peer, local);
    output.status("* udp to " + formatAddress(peer) + " from " +
                  formatAddress(udp->localAddress()));
    return udp;
  }
  transport::TransportOptions options;
  if (kind == transport::TransportKind::kRudp) {
    output.status("* connecting to " + formatAddress(peer) + " over rudp…");
    options.rudp.onHandshakeRetry = [&output, peer](int sends, std::int64_t nextWaitNs) {
      output.status("* " + connectRetryNote(peer, sends, nextWaitNs));
    };
  }
  auto connected = transport::connectTo(kind, peer, options);
  output.status("* connected to " + formatAddress(peer) + " over " +
                std::string(transport::transportKindName(kind)));
  return connected;
}

int ChatCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("unexpected argument '" + args.front() + "'");
  const bool room = hasSetting("chat.room");
  std::string name = setting("chat.transport", room ? "tcp" : "udp");
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto parsed = transport::parseTransportKind(name);
  if (!parsed) throw UsageError("--transport must be udp, tcp or rudp, not '" + name + "'");
  const transport::TransportKind kind = *parsed;
  const bool listening = hasSetting("chat.listen");
  if (static_cast<int>(listening) + static_cast<int>(hasSetting("chat.peer")) +
          static_cast<int>(room) !=
      1) {
    throw UsageError("give one of --listen PORT, --peer HOST:PORT or --room HOST:PORT");
  }
  chat::ChatSettings settings;
  settings.nick = setting("chat.nick", defaultNick());
  if (const std::string why = room ? chat::Nickname::roomProblem(settings.nick)
                                   : chat::Nickname::problem(settings.nick);
      !why.empty()) {
    throw UsageError("--nick: " + why);
  }
  settings.speakPlain = flag("chat.plain");
  if (hasSetting("chat.keepalive")) {
    settings.keepaliveInterval = Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(
        parseNumber("--keepalive", setting("chat.keepalive", ""), 0, 3600) * 1e6));
  }
  settings.listening = listening;
  settings.room = room;
  if (room && settings.speakPlain) throw UsageError("--plain is for a peer, not a room");

  if (!transport::traitsOf(kind).speaksPlainText && settings.speakPlain) {
    throw UsageError("--plain is for udp and tcp: rudp peers are always pigeons");
  }
  ConsoleOutput output;
  // Ctrl-C or `kill` once the chat has its transport ends it like /quit:
  // the peer is told, and the stdin loop sees raised() within one poll.
  // Before that (a tcp or rudp listen waiting for its peer, rudp's
  // handshake; a udp listener nobody has spoken to, in converse) there is
  // nobody to tell, and it ends pigeon as the signal's default action would.
  Interrupts interrupts;  // before the transport starts any thread
  auto transport = open(kind, listening, output);
  interrupts.underWay();
  chat::ChatSession session(*transport, settings, output);
  transport->setAckedHandler([&session](const transport::rudp::AckedMessage& m) {
    session.acknowledged(m.streamId, m.sequence,
                         m.ackedNs - static_cast<std::int64_t>(m.sendTimeNs), m.transmissions);
  });
  return converse(session, *transport, output, interrupts.raised());
}

int ChatCommand::converse(chat::ChatSession& session, transport::Transport& transport,
                          chat::ChatOutput& output, const std::atomic<int>& interrupted) {
  if (!flag("chat.plain") && !hasSetting("chat.listen")) session.greet();
  // A pigeon (or a room) answers a udp greeting at once; a peer that sends
  // nothing back at all may be a pigeon listening on another transport
  // (rudp, tcp), which never hears udp. Said after a while, and at the end.
  const bool room = hasSetting("chat.room");
  const bool greetedOverUdp = (hasSetting("chat.peer") || room) && !flag("chat.plain") &&
                              !transport.traits().reliable && !transport.traits().byteStream;
  const std::string unansweredHint =
      room ? "if it is a room serving -t rudp or -t tcp, use the same -t here"
           : "if it is a pigeon listening with -t rudp or -t tcp, use the same -t here; if it is "
             "a plain program (nc -u -l), --plain sends it text alone";
  const auto greetedAt = std::chrono::steady_clock::now();
  bool toldUnanswered = false;
  Poco::Thread network("chat-network");
  network.startFunc([&session] { session.runReceiver(); });

  // Nothing typed can go anywhere until the peer is known; stdin waits in
  // its pipe or terminal meanwhile, so piped input is never lost.
  bool toldInputEnded = false;
  bool peerArrived = false;
  while (!session.ended() && !interrupted) {
    if ((peerArrived = session.waitForPeer(kPoll))) break;
    if (hasSetting("chat.listen")) noteIfInputEnded(toldInputEnded, output);
  }
  if (interrupted && !peerArrived && hasSetting("chat.listen") && !session.ended()) {
    // Nobody came, so nobody to tell: as a tcp or rudp listener still in
    // accept does (Interrupts), end as the signal's default would.
    session.stop();
    network.join();
    transport.close();
    return 128 + interrupted.load();
  }
  LineReader reader(STDIN_FILENO, transport.maxPayload());
  bool rejected = false;
  bool quit = false;
  bool saidQuit = false;
  while (!session.ended() && !quit) {
    if (interrupted) {
      session.sendLine("/quit");
      break;
    }
    const auto input = reader.next(kPoll);
    switch (input.status) {
      case LineReader::Status::kTimeout:
        if (greetedOverUdp && !toldUnanswered && !session.heardFromPeer() &&
            std::chrono::steady_clock::now() - greetedAt >= kUnansweredNoteAfter) {
          toldUnanswered = true;
          output.status("* no answer from " + formatAddress(transport.peerAddress()) +
                        " over udp yet (no greeting, no text): " + unansweredHint +
                        "; still waiting");
        }
        break;
      case LineReader::Status::kEnd:
        quit = true;
        break;
      case LineReader::Status::kTooLong:
        output.status("* not sent: message too long (" + std::to_string(input.length) +
                      " bytes, at most " + std::to_string(transport.maxPayload()) + ")");
        rejected = true;
        break;
      case LineReader::Status::kLine:
        switch (session.sendLine(input.line)) {
          case chat::ChatSession::LineResult::kSent:
            break;
          case chat::ChatSession::LineResult::kQuit:
            quit = true;
            saidQuit = true;
            break;
          case chat::ChatSession::LineResult::kRejected:
            rejected = true;
            break;
        }
        break;
    }
  }
  if (!session.ended() && !saidQuit && !interrupted) {
    session.leave();
    // Give the network a moment to report what it knows (an ICMP port
    // unreachable, the peer's own goodbye) before the socket is gone.
    for (int i = 0; i < 5 && !session.ended(); ++i) session.waitForEnd(Poco::Timespan(0, 100'000));
  }
  // A moment more for a greeting's answer, then say none came.
  for (int i = 0;
       greetedOverUdp && !interrupted && i < 10 && !session.heardFromPeer() && !session.failure();
       ++i) {
    session.waitForEnd(Poco::Timespan(0, 100'000));
  }
  const std::string peerText = greetedOverUdp ? formatAddress(transport.peerAddress()) : "";
  session.stop();
  network.join();
  transport.close();

  if (const auto failure = session.failure()) throw *failure;
  if (greetedOverUdp && !interrupted && !session.heardFromPeer()) {
    throw transport::TransportError(
        transport::TransportError::Code::kTimedOut,
        peerText + " never answered over udp (no greeting, no text): " + unansweredHint);
  }
  return rejected ? EXIT_DATAERR : EXIT_OK;
}

}  // namespace pigeon::app
