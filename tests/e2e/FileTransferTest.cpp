#include "ChildProcess.h"
#include "filexfer/FileOffer.h"
#include "filexfer/Sha256.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using pigeon::testing::ChildProcess;

namespace {

constexpr int kExitDataErr = 65;
constexpr int kExitCantCreat = 73;
constexpr int kExitIoErr = 74;
constexpr int kExitUnavailable = 69;
constexpr int kExitNoPerm = 77;

// Issue 11's must-hold size is 64 MiB. Under a sanitizer build the same
// transfers are several times slower (every pigeon process is
// instrumented), so there they use 16 MiB: the same code paths, 512 chunks.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::size_t kMustHoldBytes = 16u << 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr std::size_t kMustHoldBytes = 16u << 20;
#else
constexpr std::size_t kMustHoldBytes = 64u << 20;
#endif
#else
constexpr std::size_t kMustHoldBytes = 64u << 20;
#endif
constexpr std::size_t kChunkBytes = 32768;  // pigeon send's default
// For the tests that are not about size.
constexpr std::size_t kSmallBytes = 8u << 20;
const ChildProcess::Duration kTransferTimeout(60'000);

void writeRandomFile(const std::string& path, std::size_t bytes, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<std::uint64_t> words(bytes / 8);
  for (auto& w : words) w = random();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(bytes));
}

std::string sha256Of(const std::string& path) {
  return pigeon::filexfer::toHex(pigeon::filexfer::Sha256::ofFile(path));
}

class FileTransfer : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("pigeon-e2e-files-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "out");
  }
  void TearDown() override {
    fs::permissions(root_ / "out", fs::perms::owner_all);
    fs::remove_all(root_);
  }

  // A file of random bytes named random.bin.
  std::string source(std::size_t bytes = kSmallBytes) {
    const std::string path = (root_ / "random.bin").string();
    writeRandomFile(path, bytes, 42);
    return path;
  }
  std::string outDir() const { return (root_ / "out").string(); }
  std::vector<std::string> received() const { return namesIn(root_ / "out"); }
  // Waits up to 5 s for random.bin's partial file in out/: the receiver has
  // taken the offer, so the transfer is mid-file from then on.
  bool partialFileAppears() const {
    for (int i = 0; i < 5000; ++i) {
      for (const auto& name : received()) {
        if (name.starts_with(".random.bin.pigeon-part-")) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  static std::vector<std::string> namesIn(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
    return names;
  }

  fs::path root_;
};

struct Transfer {
  std::optional<int> sendExit;
  std::optional<int> receiveExit;
  std::string sendErr;
  std::string receiveErr;
  std::string linkErr;  // the link's report, after SIGINT
};

std::vector<std::string> receiveCommand(const std::string& transport, const std::string& dir) {
  return {PIGEON_BINARY, "receive",     "--port",  "0",      "--bind", "127.0.0.1", "--dir",
          dir,           "--transport", transport, "--once", "--idle", "2"};
}

// One receive --once and one send; through a `pigeon link` with `spec`
// when it is not empty.
Transfer transfer(const std::string& transport, const std::string& dir, const std::string& file,
                  const std::string& spec = "", const std::vector<std::string>& sendArgs = {}) {
  ChildProcess receiver(receiveCommand(transport, dir));
  int port = receiver.listeningPort("* receive: listening on " + transport + " ");
  EXPECT_NE(port, 0) << receiver.err();
  std::optional<ChildProcess> link;
  if (!spec.empty()) {
    link.emplace(std::vector<std::string>{PIGEON_BINARY, "link", "--listen", "0", "--bind",
                                          "127.0.0.1", "--forward",
                                          "127.0.0.1:" + std::to_string(port), spec});
    port = link->listeningPort("* link: listening on ");
    EXPECT_NE(port, 0) << link->err();
  }
  std::vector<std::string> send = {
      PIGEON_BINARY, "send",   file, "--to", "127.0.0.1:" + std::to_string(port),
      "--transport", transport};
  send.insert(send.end(), sendArgs.begin(), sendArgs.end());
  ChildProcess sender(send);
  Transfer run;
  run.sendExit = sender.wait(kTransferTimeout);
  run.receiveExit = receiver.wait(kTransferTimeout);
  run.sendErr = sender.err();
  run.receiveErr = receiver.err();
  if (link) {
    link->signal(SIGINT);
    link->wait();
    run.linkErr = link->err();
  }
  return run;
}

// "socket-drops=N" in the link's "* link: up: ..." line; -1 if absent.
long upSocketDrops(const std::string& linkErr) {
  std::smatch m;
  if (!std::regex_search(linkErr, m, std::regex(R"(\* link: up: .*socket-drops=([0-9]+))"))) {
    return -1;
  }
  return std::stol(m[1]);
}

long lineCount(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

}  // namespace

TEST_F(FileTransfer, A64MiBFileArrivesWholeOverTcpAndRudpWithAMatchingSha256) {
  const std::string file = source(kMustHoldBytes);
  const std::string expected = sha256Of(file);
  for (const std::string transport : {"tcp", "rudp"}) {
    fs::remove_all(root_ / "out");
    fs::create_directories(root_ / "out");
    const Transfer run = transfer(transport, outDir(), file);
    EXPECT_EQ(run.sendExit, 0) << transport << "\n" << run.sendErr << run.receiveErr;
    EXPECT_EQ(run.receiveExit, 0) << transport << "\n" << run.receiveErr;
    ASSERT_EQ(received(), std::vector<std::string>{"random.bin"}) << transport;
    EXPECT_EQ(sha256Of(outDir() + "/random.bin"), expected) << transport;
    EXPECT_NE(run.receiveErr.find("SHA-256 " + expected + " matches"), std::string::npos)
        << run.receiveErr;
    EXPECT_NE(run.sendErr.find("receiver says: stored, SHA-256 matches"), std::string::npos)
        << run.sendErr;
  }
}

TEST_F(FileTransfer, OverUdpThroughA20PercentLossLinkListsTheLostChunksAndKeepsNoFile) {
  const std::string file = source(kMustHoldBytes);
  const Transfer run = transfer("udp", outDir(), file, "loss=20%,seed=3");
  EXPECT_EQ(run.receiveExit, kExitDataErr) << run.receiveErr;
  EXPECT_EQ(run.sendExit, kExitDataErr) << run.sendErr;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      run.receiveErr, m,
      std::regex(
          R"(([0-9]+) of ([0-9]+) chunks never arrived; no file stored\. Missing chunks: ([-0-9, ]+)\n)")))
      << run.receiveErr;
  const std::uint64_t chunks = kMustHoldBytes / kChunkBytes;
  EXPECT_EQ(std::stoull(m[2]), chunks);
  // The list names exactly as many chunks as it says are missing.
  std::uint64_t listed = 0;
  const std::string ranges = m[3];
  const std::regex range(R"(([0-9]+)(-([0-9]+))?)");
  for (auto it = std::sregex_iterator(ranges.begin(), ranges.end(), range);
       it != std::sregex_iterator(); ++it) {
    const auto first = std::stoull((*it)[1]);
    const auto last = (*it)[3].matched ? std::stoull((*it)[3]) : first;
    EXPECT_LT(last, chunks);
    listed += last - first + 1;
  }
  EXPECT_EQ(listed, std::stoull(m[1]));
  EXPECT_GT(listed, chunks / 10);  // about 20 % were dropped
  // The listed chunks are exactly the data the link lost: what its model
  // dropped (less offers and end markers) and what its socket dropped.
  std::smatch up;
  ASSERT_TRUE(std::regex_search(
      run.linkErr, up,
      std::regex(
          R"(\* link: up: .* dropped=([0-9]+) \(.*control=([0-9]+)\).*socket-drops=([0-9]+))")))
      << run.linkErr;
  EXPECT_EQ(listed, std::stoull(up[1]) - std::stoull(up[2]) + std::stoull(up[3])) << run.linkErr;
  EXPECT_TRUE(received().empty()) << "a file took a name: " << received().front();
}

// Defect: over udp the receiver waited 200 ms after the end marker for
// stragglers even when every chunk had come, and `pigeon send` put that in
// its rate: a 1 MiB file paced at 50 MB/s (21 ms) was reported as "in
// 0.229 s (4.58 MB/s)". A file that is whole at its end marker has no
// stragglers to wait for.
TEST_F(FileTransfer, OverUdpAFileWholeAtItsEndMarkerIsJudgedThenAndThere) {
  const std::string file = source(1u << 20);
  const Transfer run = transfer("udp", outDir(), file);
  EXPECT_EQ(run.sendExit, 0) << run.sendErr << run.receiveErr;
  EXPECT_EQ(run.receiveExit, 0) << run.receiveErr;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(run.sendErr, m, std::regex(R"(1048576 bytes in ([0-9.e-]+) s)")))
      << run.sendErr;
  // 21 ms of pacing; the old wait alone was 200 ms.
  EXPECT_LT(std::stod(m[1]), 0.2) << run.sendErr;
  EXPECT_EQ(received(), std::vector<std::string>{"random.bin"});
}

TEST_F(FileTransfer, A64MiBFileOverRudpThroughA20PercentLossLinkArrivesWhole) {
  const std::string file = source(kMustHoldBytes);
  const std::string expected = sha256Of(file);
  const Transfer run = transfer("rudp", outDir(), file, "loss=20%,seed=3");
  EXPECT_EQ(run.sendExit, 0) << run.sendErr << run.receiveErr;
  EXPECT_EQ(run.receiveExit, 0) << run.receiveErr;
  ASSERT_EQ(received(), std::vector<std::string>{"random.bin"});
  EXPECT_EQ(sha256Of(outDir() + "/random.bin"), expected);
}

// Defect: unpaced, rudp's 1,024-message window (32 MiB of chunks) burst
// into the relay, whose socket dropped hundreds of datagrams of an 8 MiB
// file on a clean link (the relay reported socket-drops=195..712), and the
// transfer crawled on retransmissions.
TEST_F(FileTransfer, RudpThroughACleanRelayDoesNotOverflowItsSocket) {
  const std::string file = source();
  const Transfer run = transfer("rudp", outDir(), file, "seed=1");
  EXPECT_EQ(run.sendExit, 0) << run.sendErr << run.receiveErr;
  // The window fits the relay's socket buffer (the window before it lost
  // 195 to 712 datagrams there for this file). A relay held off the CPU for longer than the
  // file RTO floor (2 ms) can still see a resent chunk on top of a full
  // window: 2 drops of 270 datagrams in one CI run and 1 of 10 runs here,
  // on a machine running other tests beside it.
  const long drops = upSocketDrops(run.linkErr);
  EXPECT_GE(drops, 0) << run.linkErr;
  EXPECT_LE(drops, 4) << run.linkErr;
  EXPECT_EQ(received(), std::vector<std::string>{"random.bin"});
}

// Defect: the sender printed "256 chunks of 32768 bytes, 8388608 bytes in
// 0.004 s (2080 MB/s)" for a file the receiver never took.
// Defect (found by a walkthrough): over udp a receiver --once that refused
// the offer sent its verdict and exited, and the sender's next chunk met
// the ICMP port unreachable its exit left: "udp peer ... is not listening",
// exit 69, with the refusal queued unread on its socket (8 of 8 runs).
TEST_F(FileTransfer, ARefusedSendPrintsOnlyTheRefusal) {
  const std::string file = source();
  std::ofstream(root_ / "out" / "random.bin") << "keep me";
  for (const std::string transport : {"tcp", "udp"}) {
    const Transfer run = transfer(transport, outDir(), file);
    EXPECT_EQ(run.receiveExit, kExitCantCreat) << transport << ": " << run.receiveErr;
    EXPECT_EQ(run.sendExit, kExitCantCreat) << transport << ": " << run.sendErr;
    EXPECT_EQ(run.sendErr,
              "pigeon send: the receiver refused 'random.bin': a file of that name is there "
              "already (--force on the receiver overwrites)\n")
        << transport;
    EXPECT_NE(run.receiveErr.find("* receive: 'random.bin' already exists"), std::string::npos)
        << run.receiveErr;
    EXPECT_EQ(run.receiveErr.find(" chunks, "), std::string::npos) << run.receiveErr;
    EXPECT_EQ(fs::file_size(root_ / "out" / "random.bin"), 7u);
    EXPECT_EQ(received().size(), 1u) << transport;  // no partial file left
  }
}

// Defects (found by a walkthrough): a udp receiver without --once took one
// file only: its socket stayed connected to the first sender, and a second
// sender, even seconds later, got "udp peer ... is not listening", exit 69.
// And a refusal was said three times, once for each copy of the offer.
TEST_F(FileTransfer, AUdpReceiverTakesOneFileAfterAnotherAndSaysARefusalOnce) {
  const std::string file = source(1u << 20);
  ChildProcess receiver({PIGEON_BINARY, "receive", "--port", "0", "--bind", "127.0.0.1", "--dir",
                         outDir(), "--transport", "udp", "--idle", "1"});
  const int port = receiver.listeningPort("* receive: listening on udp ");
  ASSERT_NE(port, 0) << receiver.err();
  const auto send = [&](const std::string& path) {
    ChildProcess sender({PIGEON_BINARY, "send", path, "--to", "127.0.0.1:" + std::to_string(port),
                         "--transport", "udp"});
    const auto code = sender.wait(kTransferTimeout);
    return std::make_pair(code, sender.err());
  };
  // A sender stopped mid-file is gone when the receiver's verdict comes
  // (after --idle): the ICMP error of its first copy failed the second
  // copy's send, and that skipped the letting go (a review found it): the
  // socket stayed held by the gone sender, and every later one got "not
  // listening".
  {
    ChildProcess stopped({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port),
                          "--transport", "udp", "--rate", "0.5"});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // mid-file: 1 MiB takes 2 s
    stopped.signal(SIGINT);
    EXPECT_EQ(stopped.wait(), 128 + SIGINT) << stopped.err();
    ASSERT_TRUE(receiver.waitForStderr("never arrived", ChildProcess::Duration(10'000)))
        << receiver.err();
  }
  const auto first = send(file);
  EXPECT_EQ(first.first, 0) << first.second << receiver.err();
  const std::string second = (root_ / "second.bin").string();
  fs::copy_file(file, second);
  const auto next = send(second);
  EXPECT_EQ(next.first, 0) << next.second << receiver.err();
  const auto again = send(file);  // random.bin is there now
  EXPECT_EQ(again.first, kExitCantCreat) << again.second << receiver.err();
  ASSERT_TRUE(receiver.waitForStderr("already exists")) << receiver.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // for a second or third saying
  receiver.signal(SIGINT);
  EXPECT_EQ(receiver.wait(), 0) << receiver.err();
  std::vector<std::string> names = received();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"random.bin", "second.bin"})) << receiver.err();
  const std::string& err = receiver.err();
  std::size_t refusals = 0;
  for (auto at = err.find("already exists"); at != std::string::npos;
       at = err.find("already exists", at + 1)) {
    ++refusals;
  }
  EXPECT_EQ(refusals, 1u) << err;
}

// Defect (found by a walkthrough): an rudp sender that died mid-file (here
// SIGKILL: nothing is said to the receiver) left the receiver with
// "pigeon receive: rudp: peer ... went silent ... (idle timeout)" and exit
// 74, the code of a failed write, where tcp says the sender went away and
// exits 69.
TEST_F(FileTransfer, AnRudpSenderThatDiesMidFileIsSaidToHaveGoneAway) {
  const std::string file = source(4u << 20);
  ChildProcess receiver(receiveCommand("rudp", outDir()));
  const int port = receiver.listeningPort("* receive: listening on rudp ");
  ASSERT_NE(port, 0) << receiver.err();
  ChildProcess sender({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port),
                       "--transport", "rudp", "--rate", "0.5"});
  ASSERT_TRUE(partialFileAppears()) << receiver.err();
  sender.signal(SIGKILL);
  sender.wait();
  // rudp's idle timeout (10 s) is how the receiver learns it.
  EXPECT_EQ(receiver.wait(ChildProcess::Duration(20'000)), kExitUnavailable) << receiver.err();
  EXPECT_NE(receiver.err().find("* receive: the sender went away after "), std::string::npos)
      << receiver.err();
  EXPECT_TRUE(received().empty());
}

// Defect (found by a walkthrough): Ctrl-C on `pigeon send` mid-file killed
// it without a word to the receiver, which over rudp learnt it only from
// the idle timeout, 10 s later. The sender now stops, closes, and exits 128
// + the signal; the receiver says at once that the sender went away.
TEST_F(FileTransfer, ASenderInterruptedMidFileClosesAndTheReceiverSaysSoAtOnce) {
  const std::string file = source(4u << 20);
  for (const std::string transport : {"tcp", "rudp"}) {
    ChildProcess receiver(receiveCommand(transport, outDir()));
    const int port = receiver.listeningPort("* receive: listening on " + transport + " ");
    ASSERT_NE(port, 0) << receiver.err();
    ChildProcess sender({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port),
                         "--transport", transport, "--rate", "0.5"});
    ASSERT_TRUE(partialFileAppears()) << transport << ": " << receiver.err();
    sender.signal(SIGINT);
    EXPECT_EQ(sender.wait(), 128 + SIGINT) << transport << ": " << sender.err();
    EXPECT_NE(sender.err().find("pigeon send: interrupted after "), std::string::npos)
        << sender.err();
    EXPECT_EQ(receiver.wait(ChildProcess::Duration(3000)), kExitUnavailable)
        << transport << ": " << receiver.err();
    EXPECT_NE(receiver.err().find("* receive: the sender went away after "), std::string::npos)
        << receiver.err();
    EXPECT_TRUE(received().empty()) << transport;
  }
}

// Defect (found by a walkthrough): a file whose name the sender refuses to
// offer was named raw in the error, escape sequences and all: `pigeon send`
// wrote "cannot send '.../esc\x1b[31mred': the name contains a control
// character" to the terminal, which turned it red.
TEST_F(FileTransfer, ASenderNamesARefusedFileWithItsControlCharactersEscaped) {
  const std::string path = (root_ / "esc\x1b[31mred").string();
  std::ofstream(path) << "x";
  ChildProcess sender({PIGEON_BINARY, "send", path, "--to", "127.0.0.1:9", "--transport", "udp"});
  EXPECT_EQ(sender.wait(), 66) << sender.err();
  EXPECT_EQ(sender.err().find('\x1b'), std::string::npos) << sender.err();
  EXPECT_NE(sender.err().find("esc\\e[31mred"), std::string::npos) << sender.err();
}

// Defect (found by a walkthrough): a receiver without --once, a server,
// ended on Ctrl-C with the verdict of whatever file came last (73 after a
// refusal, 0 after a stored file or none): its exit said nothing about it.
TEST_F(FileTransfer, AReceiverWithoutOnceEndsOnCtrlCWithZeroWhateverCameLast) {
  const std::string file = source(1u << 20);
  std::ofstream(root_ / "out" / "random.bin") << "keep me";
  ChildProcess receiver(
      {PIGEON_BINARY, "receive", "--port", "0", "--bind", "127.0.0.1", "--dir", outDir()});
  const int port = receiver.listeningPort("* receive: listening on tcp ");
  ASSERT_NE(port, 0) << receiver.err();
  ChildProcess sender({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(sender.wait(kTransferTimeout), kExitCantCreat) << sender.err();
  ASSERT_TRUE(receiver.waitForStderr("already exists")) << receiver.err();
  receiver.signal(SIGINT);
  EXPECT_EQ(receiver.wait(), 0) << receiver.err();
}

// Defect (found by a review): once under way, `pigeon send` took Ctrl-C as
// a request to stop before the next chunk, and no more; a sender blocked
// on a receiver that stopped reading (here SIGSTOP; over rudp a full window
// blocks a send for up to 10 s) did not end. A second Ctrl-C ends it.
TEST_F(FileTransfer, ASecondCtrlCEndsASenderStuckOnAReceiverThatStoppedReading) {
  const std::string file = source(64u << 20);  // far more than the window and sockets hold
  ChildProcess receiver(receiveCommand("rudp", outDir()));
  const int port = receiver.listeningPort("* receive: listening on rudp ");
  ASSERT_NE(port, 0) << receiver.err();
  ChildProcess sender({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port),
                       "--transport", "rudp"});
  ASSERT_TRUE(partialFileAppears()) << receiver.err();
  receiver.signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the socket buffers fill
  sender.signal(SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Still there: blocked in a send the stopped receiver does not drain.
  std::ifstream stat("/proc/" + std::to_string(sender.pid()) + "/stat");
  std::string pid, name, state;
  stat >> pid >> name >> state;
  EXPECT_TRUE(state == "S" || state == "R" || state == "D") << "state '" << state << "'";
  sender.signal(SIGINT);
  EXPECT_EQ(sender.wait(ChildProcess::Duration(2000)), 128 + SIGINT) << sender.err();
  receiver.signal(SIGCONT);
  receiver.signal(SIGKILL);
  receiver.wait();
}

// Defect (found by a review): Ctrl-C while the sender waited for the
// verdict, every chunk sent, said "the receiver keeps nothing", when the
// receiver may well keep the file.
TEST_F(FileTransfer, ACtrlCWhileAwaitingTheVerdictSaysTheFileMayHaveBeenKept) {
  const std::string file = source(1u << 20);  // the sockets hold all of it
  ChildProcess receiver(receiveCommand("tcp", outDir()));
  const int port = receiver.listeningPort("* receive: listening on tcp ");
  ASSERT_NE(port, 0) << receiver.err();
  receiver.signal(SIGSTOP);  // the kernel still takes the connection and the bytes
  ChildProcess sender({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port)});
  // Time to connect and send it all (a few ms; much more under a sanitizer).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  sender.signal(SIGINT);
  EXPECT_EQ(sender.wait(ChildProcess::Duration(2000)), 128 + SIGINT) << sender.err();
  EXPECT_EQ(sender.err(),
            "pigeon send: interrupted while waiting for the receiver's verdict on 'random.bin': "
            "every chunk was sent, so it may have kept the file\n");
  receiver.signal(SIGCONT);
  receiver.signal(SIGKILL);
  receiver.wait();
}

// A directory the receiver may not write in: one line on each side, exit
// 74, nothing left. Root writes anywhere, so the receiver runs as nobody.
TEST_F(FileTransfer, APermissionErrorIsOneLineOnEachSide) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run pigeon receive as another user";
  const std::string file = source();
  fs::permissions(root_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(root_ / "out", fs::perms::owner_all | fs::perms::group_read |
                                     fs::perms::group_exec | fs::perms::others_read |
                                     fs::perms::others_exec);  // 0755, root's
  std::vector<std::string> receive = {"setpriv", "--reuid=65534", "--regid=65534",
                                      "--clear-groups"};
  const auto rest = receiveCommand("tcp", outDir());
  receive.insert(receive.end(), rest.begin(), rest.end());
  ChildProcess receiver(receive);
  const int port = receiver.listeningPort("* receive: listening on tcp ");
  ASSERT_NE(port, 0) << receiver.err();
  ChildProcess sender({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(sender.wait(kTransferTimeout), kExitIoErr) << sender.err();
  EXPECT_EQ(receiver.wait(kTransferTimeout), kExitIoErr) << receiver.err();
  const std::string why = "cannot create a file in " + outDir() + ": Permission denied";
  EXPECT_EQ(sender.err(),
            "pigeon send: the receiver could not store 'random.bin': permission denied in its "
            "directory; nothing was kept\n");
  EXPECT_EQ(lineCount(receiver.err()), 2) << receiver.err();  // listening, then why
  EXPECT_NE(receiver.err().find("* receive: " + why + "\n"), std::string::npos) << receiver.err();
  EXPECT_TRUE(received().empty());
}

// The disk fills up while the file arrives: a 10 MiB tmpfs, mounted in a
// mount namespace of the receiver's own (unshare(1): unshare(CLONE_NEWNS),
// private propagation, so the host never sees it), is filled by the test
// once the receiver has opened its temporary file there; the next chunk
// hits ENOSPC. One line on each side, exit 74, the partial file removed.
TEST_F(FileTransfer, ADiskThatFillsUpIsOneLineAndThePartialFileIsRemoved) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs in a mount namespace";
  const std::string file = source();
  const std::string dir = outDir();
  // Not --once: it stays after its verdict, and with it the namespace whose
  // tmpfs the test looks into, until the test has looked (a receiver that
  // ended 200 ms late hid that race).
  std::string receive;
  for (const auto& word : receiveCommand("tcp", dir)) {
    if (word != "--once") receive += "'" + word + "' ";
  }
  ChildProcess receiver({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                         "mount -t tmpfs -o size=10m pigeon-test " + dir + " && exec " + receive});
  const int port = receiver.listeningPort("* receive: listening on tcp ");
  ASSERT_NE(port, 0) << receiver.err();
  // The receiver's view of its directory: the tmpfs (the test's is empty).
  const fs::path inside =
      fs::path("/proc") / std::to_string(receiver.pid()) / "root" / fs::path(dir).relative_path();
  // Paced, so the test fills the disk long before the last chunk.
  ChildProcess sender(
      {PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port), "--rate", "8"});
  bool opened = false;
  for (int i = 0; i < 500 && !opened; ++i) {  // up to 5 s
    std::error_code error;
    for (const auto& e : fs::directory_iterator(inside, error)) {
      opened = opened || e.path().filename().string().starts_with(".random.bin.pigeon-part-");
    }
    if (!opened) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(opened) << receiver.err();
  {
    std::ofstream filler(inside / "filler", std::ios::binary);
    const std::vector<char> block(1 << 20, 'x');
    for (int i = 0; i < 16 && filler.write(block.data(), block.size()); ++i) {
    }
  }
  EXPECT_EQ(sender.wait(kTransferTimeout), kExitIoErr) << sender.err();
  // It removed the partial file before it told the sender.
  const auto left = namesIn(inside);
  receiver.signal(SIGINT);
  // Not --once: a server's exit says it ended well; the failure is its line.
  EXPECT_EQ(receiver.wait(kTransferTimeout), 0) << receiver.err();
  EXPECT_EQ(left, std::vector<std::string>{"filler"});
  const std::string why =
      "cannot write 'random.bin' in " + dir + ": No space left on device; partial file removed";
  EXPECT_EQ(sender.err(),
            "pigeon send: the receiver could not store 'random.bin': its disk is full (no space "
            "left on device); the partial file was removed\n");
  EXPECT_EQ(lineCount(receiver.err()), 2) << receiver.err();
  EXPECT_NE(receiver.err().find("* receive: " + why + "\n"), std::string::npos) << receiver.err();
  EXPECT_TRUE(received().empty());  // the host's directory never saw any of it
}

namespace {

// Why `pigeon lab` cannot run here (no root, no TUN), or nullopt.
std::optional<std::string> labUnavailable() {
  ChildProcess probe({PIGEON_BINARY, "lab", "--", "true"});
  const auto rc = probe.wait(ChildProcess::Duration(10'000));
  if (rc == kExitNoPerm || rc == kExitUnavailable) return probe.err();
  return std::nullopt;
}

}  // namespace

// Over the lab link (pigeon's TUN emulator between two namespaces) TCP
// meets the emulated loss itself. 16 MiB and 2 % loss keep it to a few
// seconds (TCP at 20 % loss crawls on its retransmission timer).
TEST_F(FileTransfer, OverTheLabLinkTcpArrivesWholeThroughLoss) {
  if (const auto why = labUnavailable()) GTEST_SKIP() << "lab not possible here: " << *why;
  const std::string file = source(16u << 20);
  const std::string expected = sha256Of(file);
  const std::string far = std::string("exec '") + PIGEON_BINARY + "' receive --port 9000 --dir '" +
                          outDir() + "' --once";
  // The far receiver starts first but nothing waits for it: retry while
  // the connection is refused (exit 69), up to 5 s.
  const std::string near = std::string("for i in $(seq 50); do '") + PIGEON_BINARY + "' send '" +
                           file +
                           "' --to $PIGEON_LAB_PEER:9000; rc=$?; [ $rc -ne 69 ] && exit $rc; "
                           "sleep 0.1; done; exit 69";
  ChildProcess lab({PIGEON_BINARY, "lab", "loss=2%,seed=5", "--far", far, "--", "sh", "-c", near});
  EXPECT_EQ(lab.wait(kTransferTimeout), 0) << lab.err();
  ASSERT_EQ(received(), std::vector<std::string>{"random.bin"}) << lab.err();
  EXPECT_EQ(sha256Of(outDir() + "/random.bin"), expected);
  EXPECT_NE(lab.err().find("receiver says: stored, SHA-256 matches"), std::string::npos)
      << lab.err();
  // The emulator did drop TCP segments on the way.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(lab.err(), m,
                                std::regex(R"(\* lab: up: tcp: seen=[0-9]+ dropped=([0-9]+))")))
      << lab.err();
  EXPECT_GT(std::stoul(m[1]), 0u) << lab.err();
}

// Across a link with an MTU (the lab's devices: 1500) an rudp chunk is one
// IP packet, not 23 fragments of which any one lost loses the chunk: the
// sender asks the kernel for the route's MTU and says what it chose.
TEST_F(FileTransfer, OverTheLabLinkRudpChunksFitOneIpPacket) {
  if (const auto why = labUnavailable()) GTEST_SKIP() << "lab not possible here: " << *why;
  const std::string file = source(2u << 20);
  const std::string far = std::string("exec '") + PIGEON_BINARY + "' receive --port 9000 --dir '" +
                          outDir() + "' --transport rudp --once";
  const std::string near = std::string("for i in $(seq 50); do '") + PIGEON_BINARY + "' send '" +
                           file +
                           "' --to $PIGEON_LAB_PEER:9000 --transport rudp; rc=$?; [ $rc -ne 69 ] "
                           "&& exit $rc; sleep 0.1; done; exit 69";
  ChildProcess lab({PIGEON_BINARY, "lab", "loss=5%,seed=7", "--far", far, "--", "sh", "-c", near});
  EXPECT_EQ(lab.wait(kTransferTimeout), 0) << lab.err();
  ASSERT_EQ(received(), std::vector<std::string>{"random.bin"}) << lab.err();
  EXPECT_NE(lab.err().find("has an MTU of 1500 bytes: chunks of 1412 bytes, one IP packet each"),
            std::string::npos)
      << lab.err();
  EXPECT_NE(lab.err().find("random.bin: 1486 chunks of 1412 bytes"), std::string::npos)
      << lab.err();
}

// On a terminal the progress line is cleared before the result lines, so
// they do not run on behind it ("... ETA 1 s (2 s)* send: random.bin: ...").
// The sender runs under script(1), its stderr a terminal; paced so that the
// line shows (it waits two seconds before it does).
TEST_F(FileTransfer, OnATerminalTheResultLinesStartOnALineOfTheirOwn) {
  // script(1) is in bsdutils, an Essential package on Debian: always there.
  ASSERT_EQ(::access("/usr/bin/script", X_OK), 0) << "no /usr/bin/script (Debian's bsdutils)";
  const std::string file = source();
  ChildProcess receiver(receiveCommand("tcp", outDir()));
  const int port = receiver.listeningPort("* receive: listening on tcp ");
  ASSERT_NE(port, 0) << receiver.err();
  const std::string send = std::string(PIGEON_BINARY) + " send '" + file +
                           "' --to 127.0.0.1:" + std::to_string(port) + " --rate 2.5";
  ChildProcess sender({"/usr/bin/script", "-qec", send, "/dev/null"});
  EXPECT_EQ(sender.wait(kTransferTimeout), 0) << sender.out() << sender.err();
  EXPECT_EQ(receiver.wait(kTransferTimeout), 0) << receiver.err();
  const std::string screen = sender.out();
  ASSERT_NE(screen.find("ETA"), std::string::npos) << "no progress line shown: " << screen;
  for (const std::string line : {"* send: random.bin: ", "* send: receiver says: "}) {
    const auto at = screen.find(line);
    ASSERT_NE(at, std::string::npos) << screen;
    ASSERT_GT(at, 0u);
    const bool cleared = screen[at - 1] == '\n' || screen.compare(at - 3, 3, "\033[K") == 0;
    EXPECT_TRUE(cleared) << "'" << line
                         << "' runs on behind: " << screen.substr(at > 40 ? at - 40 : 0, 80);
  }
}

// Defect (found by a walkthrough): on a terminal the receiver's progress
// line was "receive:  (2 s)", "receive:  (3 s)", with no name, bytes, rate
// or ETA, until 64 chunks (2 MiB) had come; at 0.5 MB/s that is 4 s, and
// the line then moved only every 2 MiB.
TEST_F(FileTransfer, OnATerminalTheReceiversProgressNamesTheFileFromTheStart) {
  ASSERT_EQ(::access("/usr/bin/script", X_OK), 0) << "no /usr/bin/script (Debian's bsdutils)";
  const std::string file = source(2u << 20);
  const std::string receive = std::string(PIGEON_BINARY) +
                              " receive --port 0 --bind 127.0.0.1 --once --dir '" + outDir() + "'";
  ChildProcess receiver({"/usr/bin/script", "-qec", receive, "/dev/null"});
  // The whole address: script(1) may pass the line on in pieces.
  ASSERT_TRUE(receiver.waitForStdout("; files go to")) << receiver.out();
  std::smatch m;
  const std::string out = receiver.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(listening on tcp 127\.0\.0\.1:([0-9]+))")));
  ChildProcess sender(
      {PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + m[1].str(), "--rate", "0.6"});
  EXPECT_EQ(sender.wait(kTransferTimeout), 0) << sender.err();
  EXPECT_EQ(receiver.wait(kTransferTimeout), 0) << receiver.out();
  const std::string screen = receiver.out();
  EXPECT_EQ(screen.find("receive:  ("), std::string::npos) << "a blank progress line: " << screen;
  EXPECT_NE(screen.find("receive: random.bin: "), std::string::npos) << screen;
  EXPECT_NE(screen.find("ETA"), std::string::npos) << screen;
}

// `--dir` that does not exist yet is made (docs/files.md's first example on a
// fresh machine); a file in its place is still refused.
TEST_F(FileTransfer, ReceiveMakesADirectoryThatIsNotThereYet) {
  const std::string file = source();
  const std::string dir = (root_ / "new" / "sub").string();
  const Transfer run = transfer("tcp", dir, file);
  EXPECT_EQ(run.receiveExit, 0) << run.receiveErr;
  EXPECT_EQ(run.sendExit, 0) << run.sendErr;
  EXPECT_NE(run.receiveErr.find("* receive: made the directory " + dir + "\n"), std::string::npos)
      << run.receiveErr;
  EXPECT_EQ(sha256Of(dir + "/random.bin"), sha256Of(file));

  std::ofstream(root_ / "plain") << "a file";
  ChildProcess onAFile(receiveCommand("tcp", (root_ / "plain").string()));
  EXPECT_EQ(onAFile.wait(kTransferTimeout), 64) << onAFile.err();
  EXPECT_NE(onAFile.err().find("is not a directory"), std::string::npos) << onAFile.err();
}

// A send over rudp to a port where nothing answers says it is still trying,
// as chat does, instead of ten silent seconds.
TEST_F(FileTransfer, AnRudpSendThatGetsNoAnswerSaysItIsTryingAgain) {
  const std::string file = source(4096);
  ChildProcess mute({"python3", "-c",
                     "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                     "s.bind(('127.0.0.1',0)); print(s.getsockname()[1], flush=True); "
                     "time.sleep(20)"});
  ASSERT_TRUE(mute.waitForStdout("\n")) << mute.err();
  const int port = std::atoi(mute.out().c_str());
  ASSERT_GT(port, 0) << mute.out() << mute.err();
  ChildProcess sender({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port),
                       "--transport", "rudp"});
  EXPECT_TRUE(sender.waitForStderr("* send: no answer from 127.0.0.1:" + std::to_string(port) +
                                       " yet: connect sent again (2 sent",
                                   ChildProcess::Duration(3000)))
      << sender.err();
  sender.signal(SIGTERM);
  mute.signal(SIGTERM);
}

// `receive --once` ends when its file is judged: a script timing a transfer
// (bench/files-compare) waits for it. It used to look for the end of its
// worker only every 200 ms (190 ms after its last line, measured, each
// time). The median of ten, so that a slow exit now and then on a loaded
// machine, or a sanitizer's own work at exit, is not the verdict.
TEST_F(FileTransfer, ReceiveOnceEndsAsSoonAsTheFileIsJudged) {
  const std::string file = source(64u << 10);
  std::vector<long long> lingeredMs;
  for (int i = 0; i < 10; ++i) {
    fs::remove_all(root_ / "out");
    fs::create_directories(root_ / "out");
    ChildProcess receiver(receiveCommand("tcp", outDir()));
    const int port = receiver.listeningPort("* receive: listening on tcp ");
    ASSERT_NE(port, 0) << receiver.err();
    ChildProcess sender({PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port)});
    ASSERT_TRUE(receiver.waitForStderr(" duplicates 0, strays 0, malformed 0\n",
                                       ChildProcess::Duration(10'000)))
        << receiver.err();
    const auto judged = std::chrono::steady_clock::now();
    EXPECT_EQ(receiver.wait(), 0) << receiver.err();
    lingeredMs.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - judged)
                             .count());
    EXPECT_EQ(sender.wait(), 0) << sender.err();
  }
  std::sort(lingeredMs.begin(), lingeredMs.end());
  EXPECT_LT(lingeredMs[lingeredMs.size() / 2], 100)
      << "ms between a receiver's last line and its exit, median of ten";
}

// Ctrl-C or `kill` ends a `receive --once` before its file was judged with
// 128 + the signal, never 0 (the code of a stored file, which a script
// would take for one).
TEST_F(FileTransfer, AnInterruptedReceiveOnceExitsWith128PlusTheSignal) {
  for (const int signalNumber : {SIGINT, SIGTERM}) {
    ChildProcess receiver(receiveCommand("tcp", outDir()));
    ASSERT_NE(receiver.listeningPort("* receive: listening on tcp "), 0) << receiver.err();
    receiver.signal(signalNumber);
    EXPECT_EQ(receiver.wait(), 128 + signalNumber) << receiver.err();
  }
}

// A receiver interrupted during a slow (paced) transfer tells the sender
// and waits for it to close; the sender looked for that verdict only every
// 64 chunks, 2 MiB, which at 0.2 MB/s is ten seconds. It looks at least
// every 100 ms too now.
TEST_F(FileTransfer, AReceiverInterruptedDuringASlowTransferEndsWithinASecond) {
  const std::string file = source(4u << 20);
  ChildProcess receiver(receiveCommand("tcp", outDir()));
  const int port = receiver.listeningPort("* receive: listening on tcp ");
  ASSERT_NE(port, 0) << receiver.err();
  ChildProcess sender(
      {PIGEON_BINARY, "send", file, "--to", "127.0.0.1:" + std::to_string(port), "--rate", "0.2"});
  ASSERT_TRUE(partialFileAppears()) << receiver.err();  // the offer is taken: mid-file from here
  receiver.signal(SIGINT);
  const auto signalled = std::chrono::steady_clock::now();
  EXPECT_EQ(receiver.wait(ChildProcess::Duration(5000)), 128 + SIGINT) << receiver.err();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::milliseconds(1500));
  // It said "refused the offer: interrupted before the end", of an offer it
  // had taken and a partial file it had written.
  EXPECT_TRUE(std::regex_search(
      receiver.err(),
      std::regex(R"(\* receive: interrupted after [0-9]+ of 128 chunks of 'random\.bin'; )"
                 R"(the partial file was removed\n)")))
      << receiver.err();
  // The sender said "the receiver refused 'random.bin': it was interrupted"
  // and exited 73, the code of a name that is taken or a full disk: the
  // receiver refused nothing, it went away.
  EXPECT_EQ(sender.wait(ChildProcess::Duration(5000)), kExitUnavailable) << sender.err();
  EXPECT_EQ(sender.err(),
            "pigeon send: the receiver was stopped (Ctrl-C or kill) before 'random.bin' was "
            "whole; it kept nothing\n");
  EXPECT_TRUE(received().empty());  // the partial file went too
}
