#include "app/SendCommand.h"

#include "app/ConnectRetryNote.h"
#include "app/OptionValues.h"
#include "app/ProgressLine.h"
#include "app/ReceiveCommand.h"
#include "app/TerminationSignals.h"
#include "chat/TerminalText.h"
#include "filexfer/FileSender.h"
#include "filexfer/PathMtu.h"
#include "filexfer/ProgressText.h"
#include "transport/Endpoint.h"
#include "transport/SocketStats.h"
#include "transport/TransportError.h"
#include "transport/TransportFactory.h"

#include <Poco/Util/Option.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace pigeon::app {

using Poco::Util::Option;

namespace {

// Plain udp has no flow control: unpaced, a loopback sender overruns the
// receiver's socket buffer and the loss is the sender's, not the network's.
constexpr double kDefaultUdpRateMBps = 50;
constexpr std::size_t kMaxWindowChunks = 1024;  // rudp's own default window

}  // namespace

SendCommand::SendCommand()
    : Subcommand("send",
                 "FILE --to HOST:PORT [--transport tcp|udp|rudp] [--chunk BYTES] [--rate MBPS] "
                 "[--arq NAME] [--window CHUNKS]",
                 "Sends FILE to `pigeon receive`: its name and size first, then the chunks, then "
                 "an end marker; the SHA-256, computed as the chunks go, comes last (over udp, "
                 "in the offer, read first). The receiver keeps the file only when the SHA-256 "
                 "matches, and says so. Exit 0 when it was stored, 65 (EX_DATAERR) when chunks "
                 "were lost or the hash did not match, 73 when it was refused, 74 when it could "
                 "not be written, 69 when no verdict came or the receiver was stopped, 130 or "
                 "143 when interrupted (docs/files.md).") {}

void SendCommand::defineSubcommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(
      Option("to", "", "where `pigeon receive` listens").argument("HOST:PORT").binding("send.to"));
  options.addOption(Option("transport", "t", "tcp, udp or rudp (default tcp)")
                        .argument("NAME")
                        .binding("send.transport"));
  options.addOption(Option("chunk", "c",
                           "bytes per chunk, 512..1048576 (default 32768; at most what one "
                           "message of the transport carries)")
                        .argument("BYTES")
                        .binding("send.chunk"));
  options.addOption(
      Option("rate", "r", "megabytes (10^6) per second, 0 unpaced (default: udp 50, else 0)")
          .argument("MBPS")
          .binding("send.rate"));
  options.addOption(
      Option("arq", "", "rudp: stop-and-wait, go-back-n or selective-repeat (default)")
          .argument("NAME")
          .binding("send.arq"));
  options.addOption(Option("window", "w",
                           "rudp: most chunks in flight, 1..1024 (default: net.core.rmem_max "
                           "bytes of chunks, 128 KiB to 2 MiB; see docs/files.md)")
                        .argument("CHUNKS")
                        .binding("send.window"));
}

int SendCommand::execute(const std::vector<std::string>& args) {
  if (args.size() != 1) throw UsageError("give exactly one FILE to send");
  const std::string& path = args.front();
  if (::access(path.c_str(), R_OK) != 0) {
    report("cannot read '" + path + "': " + std::strerror(errno));
    return EXIT_NOINPUT;
  }
  if (!hasSetting("send.to")) throw UsageError("--to HOST:PORT is required");
  const std::string name = setting("send.transport", "tcp");
  const auto kind = transport::parseTransportKind(name);
  if (!kind) throw UsageError("--transport must be tcp, udp or rudp, not '" + name + "'");
  filexfer::SendOptions options;
  if (hasSetting("send.chunk")) {
    options.chunkBytes = parseCount("--chunk", setting("send.chunk", ""), filexfer::kMinChunkBytes,
                                    filexfer::kMaxChunkBytes);
  }
  const double defaultRate = transport::traitsOf(*kind).reliable ? 0 : kDefaultUdpRateMBps;
  options.rateBytesPerSecond =
      (hasSetting("send.rate") ? parseNumber("--rate", setting("send.rate", ""), 0, 1e6)
                               : defaultRate) *
      1e6;

  const auto endpoint = transport::Endpoint::parse(setting("send.to", ""));
  if (endpoint.port == 0) throw UsageError("--to needs a port from 1 to 65535, not 0");
  auto arq = transport::rudp::ArqScheme::kSelectiveRepeat;
  if (hasSetting("send.arq")) {
    const auto parsed = transport::rudp::parseArqScheme(setting("send.arq", ""));
    if (!parsed) {
      throw UsageError("--arq must be stop-and-wait, go-back-n or selective-repeat, not '" +
                       setting("send.arq", "") + "'");
    }
    arq = *parsed;
  }
  std::optional<std::uint32_t> window;
  if (hasSetting("send.window")) {
    window = static_cast<std::uint32_t>(
        parseCount("--window", setting("send.window", ""), 1, kMaxWindowChunks));
  }
  const Poco::Net::SocketAddress peer = endpoint.resolve();
  if (!hasSetting("send.chunk") && transport::traitsOf(*kind).carriedByUdp) {
    // One chunk, one IP packet: across a real or lab link a fragmented
    // chunk is lost with any one of its fragments. Loopback's MTU (64 KiB)
    // keeps the default.
    const auto mtu = filexfer::pathMtuBytes(peer);
    const std::size_t chunk = filexfer::chunkForUdpPath(
        filexfer::kDefaultChunkBytes, mtu, peer.family() == Poco::Net::SocketAddress::IPv6);
    if (chunk < filexfer::kDefaultChunkBytes) {
      options.chunkBytes = chunk;
      std::cerr << "* send: the route to " + transport::formatAddress(peer) + " has an MTU of " +
                       std::to_string(*mtu) + " bytes: chunks of " + std::to_string(chunk) +
                       " bytes, one IP packet each (--chunk sets another size)\n";
    }
  }
  transport::TransportOptions transportOptions;
  transportOptions.rudp = filexfer::rudpOptionsForFile(options.chunkBytes, window, arq,
                                                       transport::receiveBufferCeilingBytes());
  transportOptions.rudp.onHandshakeRetry = [peer](int sends, std::int64_t nextWaitNs) {
    std::cerr << "* send: " + connectRetryNote(peer, sends, nextWaitNs) + "\n";
  };
  // Ctrl-C or `kill` while connecting ends pigeon as the signal's default
  // would; once under way, sending stops, the connection is closed (so the
  // receiver hears that the sender went away at once, not after rudp's idle
  // timeout) and the exit is 128 + the signal.
  Interrupts interrupts;  // before the transport starts any thread
  auto connection = transport::connectTo(*kind, peer, transportOptions);
  interrupts.underWay();
  options.interrupted = &interrupts.raised();

  ProgressLine progress("send");
  const auto start = std::chrono::steady_clock::now();
  options.progress = [&progress, &path, start](std::uint64_t sent, std::uint64_t total) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.set(path + ": " + filexfer::progressText(sent, total, seconds));
  };
  filexfer::FileSender sender(options);
  filexfer::SendResult result;
  try {
    result = sender.send(*connection, path);
  } catch (const transport::TransportError&) {
    progress.finish();
    throw;
  } catch (const std::runtime_error& e) {
    progress.finish();
    // It names FILE as given, which may hold escape sequences.
    report(chat::TerminalText::sanitizeLine(wire::asBytes(e.what())));
    return EXIT_NOINPUT;
  }
  progress.finish();  // the lines below start on a clean line
  if (result.interrupted) {
    report(result.allSent
               ? "interrupted while waiting for the receiver's verdict on '" + result.offer.name +
                     "': every chunk was sent, so it may have kept the file"
               : "interrupted after " + std::to_string(result.chunksSent) + " of " +
                     std::to_string(result.offer.chunkCount()) + " chunks of '" +
                     result.offer.name + "'; the receiver keeps nothing");
    connection->close();
    return 128 + interrupts.raised();
  }
  // The verdict is said as soon as it is known; closing (over rudp, until
  // the peer confirms or the close times out) comes after it.
  // A receiver stopped mid-file says so as a refusal (the only verdict it
  // has for it), but it refused nothing: it went away, as a sender that
  // hears no verdict sees it.
  if (result.verdict == filexfer::Verdict::kRefused &&
      result.reason == filexfer::Reason::kInterrupted) {
    report("the receiver was stopped (Ctrl-C or kill) before '" + result.offer.name +
           "' was whole; it kept nothing");
    connection->close();
    return EXIT_UNAVAILABLE;
  }
  // A file the receiver would not take or could not write: its reason is
  // the whole story, with no transfer line for bytes it never kept.
  if (result.verdict == filexfer::Verdict::kRefused ||
      result.verdict == filexfer::Verdict::kWriteFailed) {
    const std::string why = filexfer::reasonText(result.reason);
    report(result.verdict == filexfer::Verdict::kRefused
               ? "the receiver refused '" + result.offer.name + "': " + why
               : "the receiver could not store '" + result.offer.name + "': " + why);
    connection->close();
    return ReceiveCommand::exitCodeFor(*result.verdict);
  }
  // Each line in one write: under `pigeon lab` the receiver writes to the
  // same stderr, and lines written piece by piece interleave.
  std::ostringstream line;
  line << "* send: " << result.offer.name << ": " << result.chunksSent << " chunks of "
       << result.offer.chunkBytes << " bytes, " << result.offer.sizeBytes << " bytes in "
       << result.seconds << " s ("
       << filexfer::megabytesPerSecond(result.offer.sizeBytes, result.seconds) << " MB/s) over "
       << name << ", SHA-256 " << filexfer::toHex(result.offer.sha256) << '\n';
  std::cerr << line.str();
  if (!result.verdict) {
    report("no verdict from the receiver within " +
           std::to_string(options.verdictTimeout.totalSeconds()) + " s");
    connection->close();
    return EXIT_UNAVAILABLE;
  }
  std::cerr << "* send: receiver says: " + filexfer::verdictText(*result.verdict) + "\n";
  connection->close();
  return ReceiveCommand::exitCodeFor(*result.verdict);
}

}  // namespace pigeon::app
