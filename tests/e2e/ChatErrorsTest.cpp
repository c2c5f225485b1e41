// End-to-end: what pigeon chat says when something is wrong. Each error is
// one line on stderr and a non-zero exit code.

#include "ChildProcess.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Util/Application.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using pigeon::testing::ChildProcess;
using App = Poco::Util::Application;

namespace {

long lineCount(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

struct Outcome {
  int code;
  std::string err;
};

Outcome run(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), PIGEON_BINARY);
  ChildProcess p(args);
  if (!input.empty()) p.write(input);
  p.closeStdin();
  const auto code = p.wait();
  return {code.value_or(-1), p.err()};
}

}  // namespace

TEST(ChatErrors, BadOptionValuesAreOneLineAndExitUsage) {
  const std::vector<std::vector<std::string>> cases = {
      {"chat", "--transport", "sctp", "--listen", "0"},
      {"chat", "--listen", "70000"},
      {"chat", "--listen", "port"},
      {"chat", "--peer", "127.0.0.1"},
      {"chat", "--peer", "[::1:9000"},
      {"chat", "--listen", "0", "--peer", "127.0.0.1:9"},
      {"chat"},
      {"chat", "--nick", "\x1b[2J", "--listen", "0"},
  };
  for (const auto& args : cases) {
    const Outcome o = run(args);
    EXPECT_EQ(o.code, App::EXIT_USAGE) << args.back() << ": " << o.err;
    EXPECT_EQ(lineCount(o.err), 1) << o.err;
    EXPECT_EQ(o.err.rfind("pigeon chat: ", 0), 0u) << o.err;
  }
}

TEST(ChatErrors, UnknownOptionSaysSoAndPointsToHelp) {
  const Outcome o = run({"chat", "--bogus"});
  EXPECT_EQ(o.code, App::EXIT_USAGE);
  EXPECT_NE(o.err.find("bogus"), std::string::npos) << o.err;
}

TEST(ChatErrors, HelpListsEveryOptionAndExitsZero) {
  ChildProcess p({PIGEON_BINARY, "chat", "--help"});
  EXPECT_EQ(p.wait(), 0);
  for (const char* option :
       {"--transport", "--listen", "--peer", "--bind", "--nick", "--plain", "--config", "--help"}) {
    EXPECT_NE(p.out().find(option), std::string::npos) << option;
  }
}

TEST(ChatErrors, PortInUseIsReported) {
  Poco::Net::DatagramSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0), false);
  const Outcome o =
      run({"chat", "--listen", std::to_string(taken.address().port()), "--bind", "127.0.0.1"});
  EXPECT_EQ(o.code, App::EXIT_OSERR) << o.err;
  EXPECT_NE(o.err.find("address already in use"), std::string::npos) << o.err;
  EXPECT_EQ(lineCount(o.err), 1) << o.err;
}

TEST(ChatErrors, HostNotFoundIsReported) {
  const Outcome o = run({"chat", "--peer", "no-such-host.invalid:9000"});
  EXPECT_EQ(o.code, App::EXIT_NOHOST) << o.err;
  EXPECT_NE(o.err.find("host not found: no-such-host.invalid"), std::string::npos) << o.err;
  EXPECT_EQ(lineCount(o.err), 1) << o.err;
}

TEST(ChatErrors, TcpConnectionRefusedIsReported) {
  const int port = pigeon::testing::unusedPort(false);
  const Outcome o = run({"chat", "-t", "tcp", "--peer", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(o.code, App::EXIT_UNAVAILABLE) << o.err;
  EXPECT_NE(o.err.find("connection refused"), std::string::npos) << o.err;
  EXPECT_EQ(lineCount(o.err), 1) << o.err;
}

TEST(ChatErrors, UdpSenderLearnsThatNobodyListensFromIcmp) {
  const int port = pigeon::testing::unusedPort(true);
  ChildProcess p({PIGEON_BINARY, "chat", "--peer", "127.0.0.1:" + std::to_string(port)});
  p.write("anyone there?\n");
  EXPECT_EQ(p.wait(), App::EXIT_UNAVAILABLE) << p.err();
  EXPECT_NE(p.err().find("is not listening (ICMP port unreachable)"), std::string::npos) << p.err();
}

TEST(ChatErrors, MessageTooLongForADatagramIsRefusedAndTheChatGoesOn) {
  ChildProcess alice(
      {PIGEON_BINARY, "chat", "--listen", "0", "--bind", "127.0.0.1", "--nick", "alice"});
  const int port = alice.listeningPort("listening on udp ");
  ChildProcess bob(
      {PIGEON_BINARY, "chat", "--peer", "127.0.0.1:" + std::to_string(port), "--nick", "bob"});
  ASSERT_TRUE(alice.waitForStderr("bob joined")) << alice.err();
  bob.write(std::string(70000, 'x') + "\nstill here\n");
  EXPECT_TRUE(bob.waitForStderr("message too long")) << bob.err();
  EXPECT_TRUE(alice.waitForStdout("bob: still here\n")) << alice.out();
  bob.closeStdin();
  EXPECT_EQ(bob.wait(), App::EXIT_DATAERR) << bob.err();
  EXPECT_EQ(alice.wait(), 0);
}

TEST(ChatErrors, ATypoInAConfigFileIsNamedNotIgnored) {
  const std::string path = ::testing::TempDir() + "/pigeon-typo.properties";
  {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("chat.trnsport = tcp\n", f);
    std::fclose(f);
  }
  const Outcome o = run({"chat", "--config", path, "--listen", "0"});
  EXPECT_EQ(o.code, App::EXIT_USAGE);
  EXPECT_NE(o.err.find("unknown setting 'chat.trnsport'"), std::string::npos) << o.err;
  std::remove(path.c_str());
  const Outcome missing = run({"chat", "--config", path, "--listen", "0"});
  EXPECT_EQ(missing.code, App::EXIT_USAGE);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;
}
