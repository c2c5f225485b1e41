#include "app/ReceiveCommand.h"

#include "app/OptionValues.h"
#include "app/ProgressLine.h"
#include "app/TerminationSignals.h"
#include "filexfer/FileReceiveSession.h"
#include "filexfer/FileReceiver.h"
#include "filexfer/ProgressText.h"
#include "transport/Endpoint.h"
#include "transport/TransportError.h"
#include "transport/TransportFactory.h"

#include <Poco/Net/IPAddress.h>
#include <Poco/Util/Option.h>

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

namespace pigeon::app {

using Poco::Util::Option;

namespace {

const Poco::Timespan kAcceptPoll(0, 200'000);
// Room for a burst while the receiver writes to disk: without it, plain
// udp loses chunks on a clean loopback whenever a write stalls.
constexpr int kReceiveBufferBytes = 8 << 20;

}  // namespace

ReceiveCommand::ReceiveCommand()
    : Subcommand(
          "receive",
          "[--port PORT] [--bind ADDR] [--dir DIR] [--transport tcp|udp|rudp] [--once] [--force] "
          "[--idle SECONDS]",
          "Waits for `pigeon send` and writes each file into DIR under a temporary name; "
          "the file takes its own name only when its size and SHA-256 match. Over udp, "
          "lost chunks are listed and no file is kept. Names are names, never paths; an "
          "existing file is not overwritten unless --force. Without --once it serves until "
          "Ctrl-C or kill and exits 0; with --once the file's verdict is the exit code "
          "(docs/files.md lists them).") {}

void ReceiveCommand::defineSubcommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Option("port", "p", "port to listen on (default 9000; 0: the kernel picks)")
                        .argument("PORT")
                        .binding("receive.port"));
  options.addOption(Option("dir", "d", "directory to store files in (default: .)")
                        .argument("DIR")
                        .binding("receive.dir"));
  options.addOption(Option("transport", "t", "tcp, udp or rudp (default tcp)")
                        .argument("NAME")
                        .binding("receive.transport"));
  options.addOption(Option("bind", "b", "local address (default: all, IPv6 and IPv4)")
                        .argument("ADDR")
                        .binding("receive.bind"));
  options.addOption(Option("once", "1", "exit after one file, with its verdict as exit code")
                        .binding("receive.once"));
  options.addOption(
      Option("force", "f", "overwrite a file of the same name").binding("receive.force"));
  options.addOption(Option("idle", "", "udp: seconds without a frame before giving up (default 3)")
                        .argument("SECONDS")
                        .binding("receive.idle"));
}

int ReceiveCommand::exitCodeFor(filexfer::Verdict verdict) {
  switch (verdict) {
    case filexfer::Verdict::kStored:
      return EXIT_OK;
    case filexfer::Verdict::kHashMismatch:
    case filexfer::Verdict::kChunksMissing:
      return EXIT_DATAERR;
    case filexfer::Verdict::kRefused:
      return EXIT_CANTCREAT;
    case filexfer::Verdict::kWriteFailed:
      return EXIT_IOERR;
    case filexfer::Verdict::kIncomplete:
      return EXIT_UNAVAILABLE;
  }
  return EXIT_SOFTWARE;
}

int ReceiveCommand::execute(const std::vector<std::string>& args) {
  if (!args.empty()) throw UsageError("unexpected argument '" + args.front() + "'");
  const std::string name = setting("receive.transport", "tcp");
  const auto kind = transport::parseTransportKind(name);
  if (!kind) throw UsageError("--transport must be tcp, udp or rudp, not '" + name + "'");
  const std::string dir = setting("receive.dir", ".");
  // A directory that is not there yet is made, as the docs' first example
  // (`--dir out` on a fresh machine) expects; a file of that name is not
  // replaced.
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0 && errno == ENOENT) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      throw UsageError("--dir: cannot make '" + dir + "': " + error.message());
    }
    std::cerr << "* receive: made the directory " + dir + "\n";
  }
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw UsageError("--dir: '" + dir + "' is not a directory");
  }
  const bool once = flag("receive.once");
  const bool force = flag("receive.force");
  filexfer::ReceiveOptions options;
  if (hasSetting("receive.idle")) {
    options.idleTimeout = Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(
        parseNumber("--idle", setting("receive.idle", ""), 0.1, 3600) * 1e6));
  }

  const auto port = transport::parsePort(setting("receive.port", "9000"));
  const std::string bind = setting("receive.bind", "");
  // Ctrl-C or `kill` stops the loop below, which ends the moment its work
  // does; before the listener, so that any thread it starts has them blocked.
  std::atomic<bool> stop{false};
  std::atomic<int> signalled{0};
  SignalWatcher signals([&stop, &signalled](int signal) {
    signalled = signal;
    stop = true;
  });
  auto local = transport::bindAddress(bind, port);
  std::unique_ptr<transport::Listener> listener;
  try {
    listener = transport::listenOn(*kind, local);
  } catch (const transport::TransportError& e) {
    if (!bind.empty() || e.code() == transport::TransportError::Code::kAddressInUse) throw;
    local = {Poco::Net::IPAddress(), port};  // a host without IPv6
    listener = transport::listenOn(*kind, local);
  }
  // Each line in one write: under `pigeon lab` the sender writes to the
  // same stderr, and lines written piece by piece interleave.
  std::cerr << "* receive: listening on " + name + " " +
                   transport::formatAddress(listener->localAddress()) + "; files go to " + dir +
                   "\n";

  int exitCode = EXIT_OK;
  bool judged = false;  // a file's verdict that no signal cut short
  options.oneSenderAfterAnother = !once;
  filexfer::FileReceiveSession session(options);  // one for all: it knows the last sender
  try {
    std::unique_ptr<transport::Transport> connection;
    while (!stop) {
      if (!connection) connection = listener->accept(kAcceptPoll);
      if (!connection) continue;
      transport::TransportOptions socketOptions;
      socketOptions.receiveBufferBytes = kReceiveBufferBytes;
      transport::applyOptions(*connection, socketOptions);
      filexfer::FileReceiver receiver(dir, force);
      ProgressLine progress("receive");
      const auto start = std::chrono::steady_clock::now();
      session.setProgress([&progress, start](const filexfer::FileReceiver& r) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.set(
            r.currentOffer().name + ": " +
            filexfer::progressText(r.bytesReceived(), r.currentOffer().sizeBytes, seconds));
      });
      const auto outcome = session.run(*connection, receiver, stop);
      progress.finish();  // the lines below start on a clean line
      if (stop && !receiver.hasOffer()) break;
      std::cerr << "* receive: " + outcome.message + "\n";
      // A refusal or a failed write is its one line; the counts are for a
      // transfer that ran.
      if (receiver.hasOffer() && outcome.verdict != filexfer::Verdict::kRefused &&
          outcome.verdict != filexfer::Verdict::kWriteFailed) {
        std::ostringstream line;
        line << "* receive: " << receiver.chunksReceived() << " of "
             << receiver.currentOffer().chunkCount() << " chunks, " << receiver.bytesReceived()
             << " bytes, duplicates " << receiver.duplicates() << ", strays " << receiver.strays()
             << ", malformed " << session.malformed() << '\n';
        std::cerr << line.str();
      }
      exitCode = exitCodeFor(outcome.verdict);
      judged = judged || outcome.reason != filexfer::Reason::kInterrupted;
      if (once) break;
      // A stream or rudp connection carries one file; a udp socket stays,
      // and the session lets the next sender be its peer.
      if (!listener->acceptsWithoutWaiting()) connection.reset();
    }
  } catch (const std::exception& e) {
    std::cerr << "pigeon receive: " + std::string(e.what()) + "\n";
    return EXIT_IOERR;
  }
  // Without --once a server, ended by Ctrl-C or kill: each file's verdict
  // is in its lines, and the exit says only that it ended well.
  if (!once) return EXIT_OK;
  // With --once, the exit code is the file's verdict; one that never came
  // is not 0 (stored), but 128 + the signal, as its default action gives.
  if (!judged && signalled != 0) return 128 + signalled;
  return exitCode;
}

}  // namespace pigeon::app
