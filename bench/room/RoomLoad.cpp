// pigeon_room_load: the load process of bench/room-load. Opens N pigeon
// members (one socket each) to a `pigeon room`, lets them all join, then
// has them say lines at a steady total rate for a while and reads what the
// room fans out to every one of them, on one epoll set. Prints one line of
// key=value figures: lines said, deliveries due and received, lines missing
// (sequence gaps), fan-out per second, its own CPU while the members
// talked and how many reads it made (a datagram each over udp). Not part
// of the test run.
//
// Usage: pigeon_room_load --target HOST:PORT --transport tcp|udp --members N
//                         --rate LINES_PER_S --seconds S [--size BYTES]

#include "chat/RoomPack.h"
#include "wire/Codec.h"
#include "wire/StreamFramer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using pigeon::wire::Bytes;
using pigeon::wire::ByteSpan;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  bool tcp = true;
  std::size_t members = 100;
  double rate = 1000;  // lines a second, all members together
  double seconds = 10;
  std::size_t size = 32;  // bytes of each line's text
};

struct Member {
  int fd = -1;
  pigeon::wire::StreamFramer framer{1 << 16};
  std::uint64_t nextSequence = 0;  // what it sends
  std::uint64_t expected = 0;      // the next line number from the room
  bool welcomed = false;
  std::uint64_t said = 0;
  std::uint64_t heard = 0;    // lines of other members (not notices)
  std::uint64_t missing = 0;  // line numbers skipped by the room or the network
  std::uint64_t lastHeardSaid = 0;
};

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "pigeon_room_load: %s\n", why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--target") {
      const auto colon = value.rfind(':');
      if (colon == std::string::npos) fail("--target HOST:PORT");
      o.host = value.substr(0, colon);
      o.port = std::atoi(value.c_str() + colon + 1);
    } else if (key == "--transport") {
      o.tcp = value == "tcp";
      if (value != "tcp" && value != "udp") fail("--transport tcp|udp");
    } else if (key == "--members") {
      o.members = std::strtoul(value.c_str(), nullptr, 10);
    } else if (key == "--rate") {
      o.rate = std::atof(value.c_str());
    } else if (key == "--seconds") {
      o.seconds = std::atof(value.c_str());
    } else if (key == "--size") {
      o.size = std::strtoul(value.c_str(), nullptr, 10);
    } else {
      fail("unknown option " + key);
    }
  }
  if (o.port <= 0 || o.members < 2 || o.rate <= 0 || o.seconds <= 0) fail("bad options");
  return o;
}

Bytes frame(pigeon::wire::MessageType type, std::uint32_t stream, std::uint64_t sequence,
            const std::string& text) {
  pigeon::wire::Header header;
  header.type = type;
  header.streamId = stream;
  header.sequence = sequence;
  return pigeon::wire::encode(header, pigeon::wire::asBytes(text));
}

class Load {
 public:
  explicit Load(const Options& o) : o_(o), epoll_(::epoll_create1(0)) {
    server_.sin_family = AF_INET;
    server_.sin_port = htons(static_cast<std::uint16_t>(o.port));
    if (::inet_pton(AF_INET, o.host.c_str(), &server_.sin_addr) != 1) fail("IPv4 address only");
    members_.resize(o.members);
  }

  void run() {
    join();
    settle();
    for (auto& m : members_) {
      m.heard = 0;
      m.missing = 0;
    }
    const double cpuAtStart = cpuSeconds();
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(o_.seconds);
    std::uint64_t due = 0;
    std::size_t next = 0;
    std::string text;
    while (Clock::now() < end) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const auto target = static_cast<std::uint64_t>(elapsed * o_.rate);
      for (; due < target; ++due) {
        Member& m = members_[next];
        next = (next + 1) % members_.size();
        text = "lg " + std::to_string(due) + " ";
        text.resize(std::max(text.size(), o_.size), 'x');
        say(m, text);
      }
      pump(1);
    }
    const double sendSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    // Its own CPU while the members talked: if near a core, the load and
    // not the room would be what limits the figures.
    const double loadCpu = (cpuSeconds() - cpuAtStart) / sendSeconds;
    std::uint64_t heardInWindow = 0;
    for (const auto& m : members_) heardInWindow += m.heard;
    // Then what is still on the way, until every TCP member has everything.
    std::uint64_t said = 0;
    for (const auto& m : members_) said += m.said;
    const auto drainEnd = Clock::now() + std::chrono::seconds(o_.tcp ? 20 : 2);
    while (Clock::now() < drainEnd && !complete(said)) pump(10);
    if (!o_.tcp) {  // UDP: wait until nothing more comes
      auto quietSince = Clock::now();
      std::uint64_t last = total();
      while (Clock::now() - quietSince < std::chrono::milliseconds(300) &&
             Clock::now() < drainEnd) {
        pump(10);
        if (total() != last) {
          last = total();
          quietSince = Clock::now();
        }
      }
    }
    std::uint64_t heard = 0;
    std::uint64_t missing = 0;
    std::size_t short_ = 0;
    for (const auto& m : members_) {
      heard += m.heard;
      missing += m.missing;
      if (m.heard < said - m.said) ++short_;
    }
    const std::uint64_t dueDeliveries = said * (members_.size() - 1);
    std::printf(
        "transport=%s members=%zu seconds=%.1f said=%llu due=%llu received=%llu "
        "missing_lines=%llu members_short=%zu fanout_per_s=%.0f received_in_window=%llu "
        "load_cpu_pct=%.0f datagrams_or_reads=%llu\n",
        o_.tcp ? "tcp" : "udp", members_.size(), sendSeconds, static_cast<unsigned long long>(said),
        static_cast<unsigned long long>(dueDeliveries), static_cast<unsigned long long>(heard),
        static_cast<unsigned long long>(missing), short_,
        static_cast<double>(heardInWindow) / sendSeconds,
        static_cast<unsigned long long>(heardInWindow), 100 * loadCpu,
        static_cast<unsigned long long>(reads_));
  }

 private:
  static double cpuSeconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }

  std::uint64_t total() const {
    std::uint64_t n = 0;
    for (const auto& m : members_) n += m.heard;
    return n;
  }

  bool complete(std::uint64_t said) const {
    for (const auto& m : members_) {
      if (m.heard < said - m.said) return false;
    }
    return true;
  }

  void send(Member& m, const Bytes& bytes) {
    const ssize_t n = ::send(m.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(bytes.size()) && o_.tcp) {
      fail("a send did not go whole (" + std::string(std::strerror(errno)) + ")");
    }
  }

  void say(Member& m, const std::string& text) {
    send(m, frame(pigeon::wire::MessageType::kData, 1, m.nextSequence++, text));
    ++m.said;
  }

  void open(std::size_t i) {
    Member& m = members_[i];
    m.fd = ::socket(AF_INET, o_.tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (m.fd < 0) fail("socket: " + std::string(std::strerror(errno)));
    if (!o_.tcp) {
      int buffer = 1 << 20;
      ::setsockopt(m.fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    }
    if (::connect(m.fd, reinterpret_cast<const sockaddr*>(&server_), sizeof server_) != 0) {
      fail("connect: " + std::string(std::strerror(errno)));
    }
    if (o_.tcp) {
      int on = 1;
      ::setsockopt(m.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, m.fd, &event);
    send(m, frame(pigeon::wire::MessageType::kHello, 0, 0, "lg" + std::to_string(i)));
  }

  void join() {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    for (std::size_t i = 0; i < members_.size(); ++i) {
      open(i);
      if (i % 50 == 49) {  // let the room take them in before the backlog fills
        while (Clock::now() < deadline && welcomed() < i + 1) pump(5);
      }
    }
    while (Clock::now() < deadline && welcomed() < members_.size()) pump(5);
    if (welcomed() < members_.size()) {
      fail("only " + std::to_string(welcomed()) + " of " + std::to_string(members_.size()) +
           " members joined");
    }
  }

  std::size_t welcomed() const {
    std::size_t n = 0;
    for (const auto& m : members_) n += m.welcomed ? 1 : 0;
    return n;
  }

  // The join notices settle: nothing for 300 ms.
  void settle() {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    auto quietSince = Clock::now();
    while (Clock::now() < deadline && Clock::now() - quietSince < std::chrono::milliseconds(300)) {
      if (pump(20) > 0) quietSince = Clock::now();
    }
  }

  void line(Member& m, const pigeon::wire::Frame& f) {
    if (f.header.type != pigeon::wire::MessageType::kData) return;
    if (f.header.streamId == pigeon::chat::RoomPack::kStream) {  // udp: lines packed together
      if (pigeon::chat::RoomPack::unpack(f.payload, packLines_) ==
          pigeon::wire::DecodeError::kNone) {
        for (const auto& packed : packLines_) line(m, packed);
      }
      return;
    }
    if (f.header.streamId != 1) return;
    if (f.header.sequence > m.expected) m.missing += f.header.sequence - m.expected;
    if (f.header.sequence >= m.expected) m.expected = f.header.sequence + 1;
    const auto text =
        std::string_view(reinterpret_cast<const char*>(f.payload.data()), f.payload.size());
    if (text.rfind("* welcome", 0) == 0) m.welcomed = true;
    if (text.find(": lg ") != std::string_view::npos) ++m.heard;
  }

  // Reads whatever is ready within `timeoutMs`; how many reads it made.
  std::size_t pump(int timeoutMs) {
    epoll_event events[256];
    const int n = ::epoll_wait(epoll_, events, 256, timeoutMs);
    std::size_t reads = 0;
    for (int e = 0; e < n; ++e) {
      Member& m = members_[events[e].data.u64];
      for (int turn = 0; turn < 8; ++turn) {
        const ssize_t got = ::recv(m.fd, buffer_, sizeof buffer_, MSG_DONTWAIT);
        if (got <= 0) {
          if (got == 0) fail("the room closed a member's connection");
          break;
        }
        ++reads;
        ++reads_;
        const auto bytes = ByteSpan(buffer_, static_cast<std::size_t>(got));
        if (o_.tcp) {
          m.framer.append(bytes);
          while (true) {
            const auto r = m.framer.next();
            if (r.status != pigeon::wire::StreamFramer::Status::kFrame) break;
            line(m, r.frame);
          }
        } else if (pigeon::wire::startsLikeFrame(bytes)) {
          const auto decoded = pigeon::wire::decodeDatagram(bytes);
          if (decoded.ok()) line(m, decoded.frame);
        }
      }
    }
    return reads;
  }

  Options o_;
  int epoll_;
  sockaddr_in server_{};
  std::vector<Member> members_;
  std::uint8_t buffer_[65536];
  std::vector<pigeon::wire::Frame> packLines_;
  std::uint64_t reads_ = 0;  // recv calls that got something, in all
};

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  Load load(options);
  load.run();
  return 0;
}
