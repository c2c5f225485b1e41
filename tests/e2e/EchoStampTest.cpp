// End-to-end: `pigeon echo --stamp` answers nc's lines with the time, and
// refuses udp with one line.

#include "ChildProcess.h"

#include <Poco/Util/Application.h>
#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <string>

using pigeon::testing::ChildProcess;
using App = Poco::Util::Application;

TEST(EchoStampCommand, NetcatSeesEachLineStamped) {
  ChildProcess echo({PIGEON_BINARY, "echo", "--stamp", "--listen", "0", "--bind", "127.0.0.1"});
  const int port = echo.listeningPort("serving tcp on ");
  ASSERT_GT(port, 0) << echo.err();
  ChildProcess nc({"nc", "-N", "127.0.0.1", std::to_string(port)});
  nc.write("hello\n");
  ASSERT_TRUE(nc.waitForStdout("] hello\n")) << nc.out();
  EXPECT_TRUE(std::regex_match(
      nc.out(), std::regex(R"(\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] hello\n)")))
      << nc.out();
  nc.closeStdin();
  EXPECT_EQ(nc.wait(), 0);
  echo.signal(SIGINT);
  EXPECT_EQ(echo.wait(), 0) << echo.err();
}

TEST(EchoStampCommand, UdpIsRefusedWithOneLine) {
  for (const char* transports : {"udp", "udp,tcp", "rudp"}) {
    ChildProcess echo({PIGEON_BINARY, "echo", "--stamp", "-t", transports, "--listen", "0"});
    EXPECT_EQ(echo.wait(), App::EXIT_USAGE) << echo.err();
    EXPECT_EQ(std::count(echo.err().begin(), echo.err().end(), '\n'), 1) << echo.err();
    EXPECT_NE(echo.err().find("larger than the request"), std::string::npos) << echo.err();
  }
}
