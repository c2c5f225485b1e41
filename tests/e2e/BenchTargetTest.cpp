// End-to-end: `pigeon bench --target` against echoes that are not pigeon's
// (RFC 862: the bytes come back unchanged), against a silent peer, and the
// isochronous round-trip stream against a `pigeon echo` across a link.

#include "ChildProcess.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <list>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using pigeon::testing::ChildProcess;
using Poco::JSON::Object;

namespace {

using namespace std::chrono_literals;

std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "/pigeon-target-" + std::to_string(::getpid()) + "-" + name;
}

struct Outcome {
  std::optional<int> code;
  std::string out;
  std::string err;
  std::chrono::milliseconds took;
};

Outcome bench(std::vector<std::string> args, std::chrono::milliseconds timeout = 30'000ms) {
  args.insert(args.begin(), {PIGEON_BINARY, "bench"});
  const auto start = std::chrono::steady_clock::now();
  ChildProcess p(args);
  p.closeStdin();
  const auto code = p.wait(timeout);
  return {code, p.out(), p.err(),
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                start)};
}

Object::Ptr parseJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::remove(path.c_str());
  if (s.str().empty()) return nullptr;
  Poco::JSON::Parser parser;
  return parser.parse(s.str()).extract<Object::Ptr>();
}

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return addr;
}

int boundSocket(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr = loopback(0);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

int portOf(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// The plainest RFC 862 echoes, as a course's first exercise writes them:
// UDP returns each datagram to its sender, TCP gives each connection a
// thread that sends back whatever it reads. `answer` false: a UDP socket
// that reads and never answers.
class PlainEcho {
 public:
  PlainEcho(int type, bool answer = true) : fd_(boundSocket(type)), type_(type), answer_(answer) {
    if (type == SOCK_STREAM) ::listen(fd_, 16);
    thread_ = std::thread([this] { type_ == SOCK_DGRAM ? serveUdp() : serveTcp(); });
  }
  ~PlainEcho() {
    stop_ = true;
    thread_.join();
    for (auto& t : connections_) t.join();
    ::close(fd_);
  }
  int port() const { return portOf(fd_); }

 private:
  bool readable(int fd) const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 20) > 0;
  }
  void serveUdp() {
    std::vector<char> buffer(65536);
    while (!stop_) {
      if (!readable(fd_)) continue;
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0 && answer_) {
        ::sendto(fd_, buffer.data(), static_cast<std::size_t>(n), 0,
                 reinterpret_cast<sockaddr*>(&from), len);
      }
    }
  }
  void serveTcp() {
    while (!stop_) {
      if (!readable(fd_)) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      connections_.emplace_back([this, c] {
        char buffer[1024];  // the classic recv(1024)
        while (!stop_) {
          if (!readable(c)) continue;
          const ssize_t n = ::recv(c, buffer, sizeof buffer, 0);
          if (n <= 0) break;
          if (::send(c, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
        }
        ::close(c);
      });
    }
  }

  int fd_;
  int type_;
  bool answer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::list<std::thread> connections_;
};

}  // namespace

TEST(BenchTarget, MeasuresRoundTripsAgainstAPlainRfc862EchoOverUdpAndTcp) {
  for (const int type : {SOCK_DGRAM, SOCK_STREAM}) {
    const std::string transport = type == SOCK_DGRAM ? "udp" : "tcp";
    PlainEcho echo(type);
    const std::string json = tempPath(transport + ".json");
    const Outcome run =
        bench({"-t", transport, "--target", "127.0.0.1:" + std::to_string(echo.port()), "--count",
               "200", "--json", json},
              20'000ms);
    ASSERT_EQ(run.code, 0) << transport << "\n" << run.err << run.out;
    // The header says which echo answered, and what it cannot give.
    EXPECT_NE(run.out.find("echo that answered: " + transport + ": RFC 862 echo"),
              std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("the one-way split needs pigeon echo"), std::string::npos) << run.out;
    const auto doc = parseJson(json);
    ASSERT_TRUE(doc) << run.err;
    const auto r = doc->getArray("results")->getObject(0);
    EXPECT_TRUE(r->isNull("error")) << r->getValue<std::string>("error");
    EXPECT_EQ(r->getValue<std::string>("echo"), "rfc862");
    EXPECT_EQ(r->getValue<std::uint64_t>("sent"), 200u);
    EXPECT_EQ(r->getValue<std::uint64_t>("delivered"), 200u);
    EXPECT_FALSE(r->isNull("rtt_us"));
    // Nothing one-way without pigeon echo's stamps, and no count to split loss by.
    EXPECT_TRUE(r->isNull("latency_us"));
    EXPECT_TRUE(r->isNull("lost_outbound"));
    EXPECT_TRUE(r->isNull("return_latency_us"));
    // What lies between here and the target is not the bench's to see.
    EXPECT_TRUE(r->isNull("met_impaired_link"));
    EXPECT_EQ(run.out.find("met impaired link"), std::string::npos) << run.out;
  }
}

TEST(BenchTarget, TheHeaderNamesTheEchoOfEachTransportInTheTablesOrder) {
  ChildProcess echo({PIGEON_BINARY, "echo", "--listen", "0", "--bind", "127.0.0.1"});
  const int port = echo.listeningPort("serving udp on ");
  ASSERT_GT(port, 0) << echo.err();
  const Outcome run = bench(
      {"-t", "udp,tcp,rudp", "--target", "127.0.0.1:" + std::to_string(port), "--count", "50"},
      30'000ms);
  ASSERT_EQ(run.code, 0) << run.err << run.out;
  EXPECT_NE(run.out.find("echo that answered: udp, tcp, rudp: pigeon echo (one-way split)\n"),
            std::string::npos)
      << run.out;
}

TEST(BenchTarget, ASilentPeerIsOneClearLineWithinSeconds) {
  PlainEcho silent(SOCK_DGRAM, /*answer=*/false);
  const Outcome run = bench(
      {"-t", "udp", "--target", "127.0.0.1:" + std::to_string(silent.port()), "--count", "50"},
      20'000ms);
  ASSERT_TRUE(run.code.has_value()) << "bench waited silently\n" << run.out << run.err;
  EXPECT_NE(*run.code, 0);
  EXPECT_LT(run.took, 10'000ms);
  EXPECT_NE(run.err.find("no reply from 127.0.0.1:" + std::to_string(silent.port()) +
                         " over udp within 3 s"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
}

TEST(BenchTarget, AnIsochronousStreamSplitsEachLostProbeByDirectionAsTheLinkDroppedIt) {
  ChildProcess echo({PIGEON_BINARY, "echo", "--listen", "0", "--bind", "127.0.0.1"});
  const int port = echo.listeningPort("serving udp on ");
  ASSERT_GT(port, 0) << echo.err();
  const std::string json = tempPath("stream.json");
  const std::string logPath = tempPath("stream.log");
  const Outcome run =
      bench({"-t", "udp", "--target", "127.0.0.1:" + std::to_string(port), "--pattern", "stream",
             "--interval", "0.5", "--count", "2000", "--link", "loss=5%,delay=2ms,seed=3",
             "--drain", "100", "--json", json, "--log", logPath});
  ASSERT_EQ(run.code, 0) << run.err << run.out;
  EXPECT_NE(run.out.find("echo that answered: udp: pigeon echo"), std::string::npos) << run.out;
  const auto doc = parseJson(json);
  ASSERT_TRUE(doc);
  const auto r = doc->getArray("results")->getObject(0);
  const auto counters = r->getObject("counters");
  EXPECT_EQ(r->getValue<std::uint64_t>("sent"), 2000u);
  // Each lost probe's direction, against what the link says it dropped each way.
  EXPECT_GT(r->getValue<std::uint64_t>("lost_outbound"), 0u);
  EXPECT_GT(r->getValue<std::uint64_t>("lost_return"), 0u);
  EXPECT_EQ(r->getValue<std::uint64_t>("lost_outbound"),
            counters->getValue<std::uint64_t>("link_dropped_up"));
  EXPECT_EQ(r->getValue<std::uint64_t>("lost_return"),
            counters->getValue<std::uint64_t>("link_dropped_down"));
  EXPECT_EQ(counters->getValue<std::uint64_t>("loss_direction_unknown"), 0u);
  // The log has each lost probe with its direction, and each reply.
  std::ifstream log(logPath);
  std::uint64_t outbound = 0, back = 0, replies = 0;
  for (std::string line; std::getline(log, line);) {
    outbound += line.find(R"("lost":"outbound")") != std::string::npos;
    back += line.find(R"("lost":"return")") != std::string::npos;
    replies += line.find(R"("arrival_ns")") != std::string::npos;
  }
  std::remove(logPath.c_str());
  EXPECT_EQ(outbound, r->getValue<std::uint64_t>("lost_outbound"));
  EXPECT_EQ(back, r->getValue<std::uint64_t>("lost_return"));
  EXPECT_EQ(replies,
            r->getValue<std::uint64_t>("delivered") + r->getValue<std::uint64_t>("duplicates"));
  // Many in flight: 2000 probes every 0.5 ms take about a second, not 2000 round trips.
  EXPECT_LT(r->getValue<double>("elapsed_s"), 3.0);
  // Both one-way halves, apart, each at least the link's 2 ms; the echo's own
  // time is measured and taken out of the round trip.
  EXPECT_GE(r->getObject("latency_us")->getValue<double>("p50"), 2000.0);
  EXPECT_GE(r->getObject("return_latency_us")->getValue<double>("p50"), 2000.0);
  EXPECT_GE(r->getObject("rtt_us")->getValue<double>("min"), 4000.0);
  EXPECT_FALSE(r->isNull("outbound_ipdv_us"));
  EXPECT_FALSE(r->isNull("return_ipdv_us"));
  EXPECT_GT(r->getValue<double>("echo_processing_us"), 0.0);
  echo.signal(SIGINT);
  EXPECT_EQ(echo.wait(), 0);
}

TEST(BenchTarget, APatternThatCannotRunAgainstAnEchoSaysWhyInOneLine) {
  const Outcome run = bench({"--target", "127.0.0.1:9", "--pattern", "under-load"});
  ASSERT_TRUE(run.code.has_value());
  EXPECT_NE(*run.code, 0);
  EXPECT_NE(run.err.find("under-load cannot run against --target"), std::string::npos) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
}

TEST(BenchTarget, PigeonEchoOverRudpIsKnownByItsReplyTypeSinceRudpCarriesNoHeaderFlags) {
  const std::string json = tempPath("rudp.json");
  const Outcome run =
      bench({"-t", "rudp", "--pattern", "pingpong", "--count", "50", "--json", json}, 20'000ms);
  ASSERT_EQ(run.code, 0) << run.err << run.out;
  const auto doc = parseJson(json);
  ASSERT_TRUE(doc);
  const auto r = doc->getArray("results")->getObject(0);
  EXPECT_EQ(r->getValue<std::string>("echo"), "pigeon");
  EXPECT_EQ(r->getValue<std::uint64_t>("delivered"), 50u);
  EXPECT_EQ(r->getValue<std::uint64_t>("lost_outbound"), 0u);  // the echo's count came back
  EXPECT_FALSE(r->isNull("return_latency_us"));
}
