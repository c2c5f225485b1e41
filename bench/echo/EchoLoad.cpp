// pigeon_echo_load: the load process of bench/echo-load. Keeps TCP_CLIENTS
// TCP connections and UDP_SOURCES UDP sockets (bound to 127.0.1.x, spread
// over ADDRESSES addresses so no address passes the echo's per-address cap)
// sending plain lines to a `pigeon echo` on a fixed schedule: each TCP client
// a line every TCP_INTERVAL s, each UDP source a datagram every UDP_INTERVAL
// s, the sends spread evenly over each interval. Reads the replies. All on
// one epoll set, one thread, so the load costs a fraction of a core and keeps
// its schedule (the Python generator it replaces reached a third of its UDP
// rate on this 2-core machine). Prints "ready" once every connection is
// open, sends until its stdin ends, then prints one line of key=value
// figures. Not part of the test run.
//
// Usage: pigeon_echo_load PORT TCP_CLIENTS UDP_SOURCES ADDRESSES TCP_INTERVAL UDP_INTERVAL

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kTcpLine[] = "load line from a tcp client\n";
constexpr std::size_t kMaxPending = 64 * 1024;  // a TCP client's unsent lines
constexpr std::uint64_t kStdinTag = ~std::uint64_t{0};
constexpr std::uint64_t kUdpTagBit = std::uint64_t{1} << 62;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "pigeon_echo_load: %s\n", why.c_str());
  std::exit(2);
}

struct TcpClient {
  int fd = -1;
  bool connected = false;
  bool closed = false;
  std::string pending;  // what the kernel did not take yet
};

struct Stats {
  std::uint64_t tcpOpen = 0, tcpFailed = 0, tcpClosedByEcho = 0, tcpReplies = 0, tcpSent = 0;
  std::uint64_t tcpSkipped = 0;  // lines not queued: the client's queue was full
  std::uint64_t udpSent = 0, udpReplies = 0, udpSendFailed = 0;
  std::uint64_t late = 0;       // sends more than 1 ms behind their schedule
  std::uint64_t late100us = 0;  // sends more than 100 us behind it
  std::int64_t lateMaxNs = 0;   // the furthest behind
};

// Sends spread evenly over an interval: item k of n is due at
// start + round * interval + interval * k / n.
class Schedule {
 public:
  Schedule(std::size_t n, double intervalS)
      : n_(n), intervalNs_(static_cast<std::int64_t>(intervalS * 1e9)) {}

  // Calls send(k) for every item due by `nowNs`; notes how late each was.
  template <typename Send>
  void run(std::int64_t nowNs, Stats& stats, Send&& send) {
    if (n_ == 0) return;
    for (int i = 0; i < 100'000 && due() <= nowNs; ++i) {  // bounded per turn
      const std::int64_t lateNs = nowNs - due();
      if (lateNs > 1'000'000) ++stats.late;
      if (lateNs > 100'000) ++stats.late100us;
      stats.lateMaxNs = std::max(stats.lateMaxNs, lateNs);
      send(next_);
      if (++next_ == n_) {
        next_ = 0;
        ++round_;
      }
    }
  }
  std::int64_t due() const {
    return round_ * intervalNs_ +
           static_cast<std::int64_t>(static_cast<double>(intervalNs_) * static_cast<double>(next_) /
                                     static_cast<double>(n_));
  }
  bool empty() const { return n_ == 0; }

 private:
  std::size_t n_;
  std::int64_t intervalNs_;
  std::size_t next_ = 0;
  std::int64_t round_ = 0;
};

// epoll_wait's timeout is whole milliseconds: rounded up, the sends due in
// each millisecond went out together, 20 at a time at the default rates, and
// the echo met its load in bursts that no independent sources make.
// epoll_pwait2 waits to the nanosecond (Linux 5.11); where the kernel lacks
// it, the millisecond wait is what is left, and the late counters show it.
int waitUntilDue(int epoll, std::vector<epoll_event>& events, std::int64_t waitNs) {
  static bool nanosecondWaits = true;
  const int room = static_cast<int>(events.size());
  if (nanosecondWaits) {
    const timespec timeout{static_cast<time_t>(waitNs / 1'000'000'000),
                           static_cast<long>(waitNs % 1'000'000'000)};
    const int n = ::epoll_pwait2(epoll, events.data(), room, &timeout, nullptr);
    if (n >= 0 || errno != ENOSYS) return std::max(n, 0);
    nanosecondWaits = false;
  }
  const int n =
      ::epoll_wait(epoll, events.data(), room, static_cast<int>((waitNs + 999'999) / 1'000'000));
  return std::max(n, 0);
}

std::int64_t nowNs(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

sockaddr_in loopback(int index, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const std::string text = "127.0.1." + std::to_string(1 + index);
  ::inet_pton(AF_INET, text.c_str(), &a.sin_addr);
  return a;
}

int socketFrom(int type, const sockaddr_in& local) {
  const int fd = ::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(std::string("socket: ") + std::strerror(errno));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    fail(std::string("bind: ") + std::strerror(errno));
  }
  return fd;
}

void add(int epoll, int fd, std::uint32_t events, std::uint64_t tag) {
  epoll_event e{};
  e.events = events;
  e.data.u64 = tag;
  if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e) != 0) fail("epoll_ctl");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    fail(
        "usage: pigeon_echo_load PORT TCP_CLIENTS UDP_SOURCES ADDRESSES TCP_INTERVAL UDP_INTERVAL");
  }
  const int port = std::atoi(argv[1]);
  const std::size_t tcpN = std::strtoul(argv[2], nullptr, 10);
  const std::size_t udpN = std::strtoul(argv[3], nullptr, 10);
  const int addresses = std::atoi(argv[4]);
  const double tcpEvery = std::atof(argv[5]);
  const double udpEvery = std::atof(argv[6]);
  if (port <= 0 || addresses < 1 || addresses > 254 || tcpEvery <= 0 || udpEvery <= 0) {
    fail("bad arguments");
  }
  // The default 50 us of timer slack would bunch sends due 50 us apart.
  ::prctl(PR_SET_TIMERSLACK, 1000UL);
  sockaddr_in target{};  // the echo, on 127.0.0.1
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);

  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) fail("epoll_create1");
  Stats stats;
  std::vector<TcpClient> tcp(tcpN);
  std::vector<int> udp(udpN, -1);
  for (std::size_t i = 0; i < tcpN; ++i) {
    TcpClient& c = tcp[i];
    c.fd = socketFrom(SOCK_STREAM, loopback(static_cast<int>(i % addresses), 0));
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0 &&
        errno != EINPROGRESS) {
      ++stats.tcpFailed;
      c.closed = true;
      continue;
    }
    add(epoll, c.fd, EPOLLIN | EPOLLOUT, i);
  }
  for (std::size_t i = 0; i < udpN; ++i) {
    udp[i] = socketFrom(SOCK_DGRAM, loopback(static_cast<int>(i % addresses), 0));
    if (::connect(udp[i], reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
      fail(std::string("udp connect: ") + std::strerror(errno));
    }
    add(epoll, udp[i], EPOLLIN, kUdpTagBit | i);
  }
  add(epoll, STDIN_FILENO, EPOLLIN, kStdinTag);  // a pipe or FIFO: its end stops us

  std::vector<epoll_event> events(512);
  char buffer[64 * 1024];
  bool stopping = false;
  bool ready = false;
  const auto begin = Clock::now();
  Clock::time_point start = begin;
  Schedule tcpSchedule(tcpN, tcpEvery);
  Schedule udpSchedule(udpN, udpEvery);
  auto sendTcp = [&](std::size_t k) {
    TcpClient& c = tcp[k];
    if (!c.connected || c.closed) return;
    if (c.pending.size() >= kMaxPending) {
      ++stats.tcpSkipped;
      return;
    }
    c.pending.append(kTcpLine, sizeof kTcpLine - 1);
    ++stats.tcpSent;
    const ssize_t n = ::send(c.fd, c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
    if (n > 0) c.pending.erase(0, static_cast<std::size_t>(n));
  };
  // Each datagram differs from the last: the echo drops one equal to the
  // reply it sent that source within a second, as a reflection loop.
  char datagram[64];
  auto sendUdp = [&](std::size_t k) {
    const int length =
        std::snprintf(datagram, sizeof datagram, "load datagram %llu from a udp source\n",
                      static_cast<unsigned long long>(stats.udpSent % 1'000'000));
    if (::send(udp[k], datagram, static_cast<std::size_t>(length), 0) < 0) {
      ++stats.udpSendFailed;
    } else {
      ++stats.udpSent;
    }
  };

  while (!stopping) {
    std::int64_t waitNs = 100'000'000;
    if (ready) {
      const std::int64_t now = nowNs(start);
      tcpSchedule.run(now, stats, sendTcp);
      udpSchedule.run(now, stats, sendUdp);
      std::int64_t next = INT64_MAX;
      if (!tcpSchedule.empty()) next = std::min(next, tcpSchedule.due());
      if (!udpSchedule.empty()) next = std::min(next, udpSchedule.due());
      waitNs = std::clamp<std::int64_t>(next - nowNs(start), 0, 100'000'000);
    }
    const int n = waitUntilDue(epoll, events, waitNs);
    for (int e = 0; e < n; ++e) {
      const std::uint64_t tag = events[static_cast<std::size_t>(e)].data.u64;
      const std::uint32_t what = events[static_cast<std::size_t>(e)].events;
      if (tag == kStdinTag) {
        stopping = true;  // the script closed our stdin (or wrote to it)
      } else if ((tag & kUdpTagBit) != 0) {
        const int fd = udp[tag & ~kUdpTagBit];
        for (int k = 0; k < 64; ++k) {
          const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
          if (got < 0) break;  // drained, or an ICMP error: nothing to count
          ++stats.udpReplies;
        }
      } else {
        TcpClient& c = tcp[tag];
        if (c.closed) continue;
        if (!c.connected && (what & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
          int error = 0;
          socklen_t length = sizeof error;
          ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
          if (error != 0) {
            ++stats.tcpFailed;
            c.closed = true;
            ::epoll_ctl(epoll, EPOLL_CTL_DEL, c.fd, nullptr);
            continue;
          }
          c.connected = true;
          ++stats.tcpOpen;
          epoll_event in{};
          in.events = EPOLLIN;
          in.data.u64 = tag;
          ::epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &in);
          continue;
        }
        const ssize_t got = ::recv(c.fd, buffer, sizeof buffer, 0);
        if (got > 0) {
          stats.tcpReplies += static_cast<std::uint64_t>(std::count(buffer, buffer + got, '\n'));
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          ++stats.tcpClosedByEcho;
          c.closed = true;
          ::epoll_ctl(epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        }
      }
    }
    if (!ready) {
      const bool allResolved = stats.tcpOpen + stats.tcpFailed == tcpN;
      if (allResolved || nowNs(begin) > 60'000'000'000) {
        ready = true;
        start = Clock::now();
        std::printf("ready\n");
        std::fflush(stdout);
      }
    }
  }
  const double seconds = static_cast<double>(nowNs(start)) / 1e9;
  for (auto& c : tcp) {
    if (!c.closed) ::close(c.fd);
  }
  for (const int fd : udp) ::close(fd);
  std::printf(
      "tcp_open=%llu tcp_failed=%llu tcp_closed_by_echo=%llu tcp_replies=%llu tcp_sent=%llu "
      "tcp_skipped=%llu udp_sent=%llu udp_replies=%llu udp_send_failed=%llu seconds=%.2f "
      "late_sends=%llu late_100us_sends=%llu late_max_us=%lld\n",
      static_cast<unsigned long long>(stats.tcpOpen),
      static_cast<unsigned long long>(stats.tcpFailed),
      static_cast<unsigned long long>(stats.tcpClosedByEcho),
      static_cast<unsigned long long>(stats.tcpReplies),
      static_cast<unsigned long long>(stats.tcpSent),
      static_cast<unsigned long long>(stats.tcpSkipped),
      static_cast<unsigned long long>(stats.udpSent),
      static_cast<unsigned long long>(stats.udpReplies),
      static_cast<unsigned long long>(stats.udpSendFailed), seconds,
      static_cast<unsigned long long>(stats.late), static_cast<unsigned long long>(stats.late100us),
      static_cast<long long>(stats.lateMaxNs / 1000));
  return 0;
}
