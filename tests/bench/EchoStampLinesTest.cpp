// The timestamp echo (`pigeon echo --stamp`): a plain TCP client's lines come
// back with the time they came, as the socket tutorial's last server does.

#include "bench/EchoServer.h"
#include "bench/EchoStamp.h"

#include <gtest/gtest.h>

#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <regex>
#include <string>

using pigeon::bench::EchoServer;
using pigeon::transport::TransportKind;

namespace {

const std::regex kStamped(
    R"(\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4}\] )");

std::string readLines(Poco::Net::StreamSocket& socket, std::size_t lines) {
  std::string got;
  char buffer[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (static_cast<std::size_t>(std::count(got.begin(), got.end(), '\n')) < lines &&
         std::chrono::steady_clock::now() < deadline) {
    if (!socket.poll(Poco::Timespan(0, 20'000), Poco::Net::Socket::SELECT_READ)) continue;
    const int n = socket.receiveBytes(buffer, sizeof buffer);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace

TEST(EchoStampLines, WritesTheTimeAsCtimeDoes) {
  std::tm when{};
  when.tm_year = 2026 - 1900;
  when.tm_mon = 11;
  when.tm_mday = 1;
  when.tm_hour = 10;
  when.tm_isdst = -1;
  EXPECT_EQ(pigeon::bench::stampedLine("hello", std::mktime(&when)),
            "[Tue Dec  1 10:00:00 2026] hello\n");
}

TEST(EchoStampLines, EachPlainLineComesBackStampedHoweverItIsSplit) {
  pigeon::bench::EchoOptions options;
  options.stampLines = true;
  EchoServer server({TransportKind::kTcp}, "127.0.0.1", 0, options);
  server.start();
  Poco::Net::StreamSocket client(server.localAddress(TransportKind::kTcp));
  client.sendBytes("hel", 3);
  client.sendBytes("lo\r\nsecond\nthi", 14);
  client.sendBytes("rd\n", 3);
  const std::string got = readLines(client, 3);
  std::smatch m;
  std::string rest = got;
  for (const char* line : {"hello\n", "second\n", "third\n"}) {
    ASSERT_TRUE(std::regex_search(rest, m, kStamped)) << got;
    EXPECT_EQ(m.position(0), 0) << got;
    rest = m.suffix();
    ASSERT_EQ(rest.rfind(line, 0), 0u) << got;
    rest = rest.substr(std::string(line).size());
  }
  EXPECT_TRUE(rest.empty()) << got;
  server.stop();
  EXPECT_EQ(server.counters(TransportKind::kTcp).reflected, 3u);
}

// What a client sends just before it shuts its sending side (nc -N, a
// script's shutdown(SHUT_WR)) is still answered, a last line without its
// "\n" included, and then the echo closes: nothing is lost to the EOF.
TEST(EchoStampLines, AClientThatShutsItsSendingSideGetsEveryLineAnsweredThenTheClose) {
  pigeon::bench::EchoOptions options;
  options.stampLines = true;
  EchoServer server({TransportKind::kTcp}, "127.0.0.1", 0, options);
  server.start();
  Poco::Net::StreamSocket client(server.localAddress(TransportKind::kTcp));
  client.sendBytes("hello\nhow are you?", 18);
  client.shutdownSend();
  const std::string got = readLines(client, 2);
  std::smatch m;
  std::string rest = got;
  for (const char* line : {"hello\n", "how are you?\n"}) {
    ASSERT_TRUE(std::regex_search(rest, m, kStamped)) << got;
    rest = m.suffix();
    ASSERT_EQ(rest.rfind(line, 0), 0u) << got;
    rest = rest.substr(std::string(line).size());
  }
  char byte = 0;
  ASSERT_TRUE(client.poll(Poco::Timespan(2, 0), Poco::Net::Socket::SELECT_READ));
  EXPECT_EQ(client.receiveBytes(&byte, 1), 0);  // then the close
  server.stop();
}

TEST(EchoPlainTcp, AClientThatShutsItsSendingSideGetsItsBytesBackThenTheClose) {
  EchoServer server({TransportKind::kTcp}, "127.0.0.1", 0, pigeon::bench::EchoOptions{});
  server.start();
  Poco::Net::StreamSocket client(server.localAddress(TransportKind::kTcp));
  client.sendBytes("abc\nP", 5);  // ends in a lone 'P': plain text all the same
  client.shutdownSend();
  std::string got;
  char buffer[64];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!client.poll(Poco::Timespan(0, 20'000), Poco::Net::Socket::SELECT_READ)) continue;
    const int n = client.receiveBytes(buffer, sizeof buffer);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(got, "abc\nP");
  server.stop();
}
