#include "lab/LabLink.h"

#include "lab/LabUnavailable.h"
#include "lab/NetnsScope.h"
#include "wire/Clock.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <gtest/gtest.h>

#include "../HostSteal.h"
#include "../link/Intervals.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using pigeon::lab::LabLink;
using pigeon::lab::LabUnavailable;
using pigeon::lab::NetnsScope;
using pigeon::link::LinkSpec;
using Direction = pigeon::lab::Emulator::Direction;
using pigeon::testing::CpuTicks;
using pigeon::testing::cpuTicks;
using pigeon::testing::kMostStealPercent;
using pigeon::testing::stealPercentSince;

namespace {

// The lab, or a skip that says why this machine cannot build one.
#define BUILD_LAB_OR_SKIP(lab, spec)                       \
  std::optional<LabLink> lab;                              \
  try {                                                    \
    lab.emplace(LinkSpec::parse(spec));                    \
  } catch (const LabUnavailable& e) {                      \
    GTEST_SKIP() << "lab not possible here: " << e.what(); \
  }                                                        \
  lab->start()

bool listed(const std::string& name) {
  const auto names = LabLink::namespaces("pigeon");
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A UDP socket in the far namespace on the far address, and one in the near
// namespace connected to it. Each is created inside its scope: a socket
// belongs to the namespace current when it is made.
struct SocketPair {
  explicit SocketPair(const LabLink& lab) {
    {
      NetnsScope inFar(lab.farNamespaceFd());
      far = Poco::Net::DatagramSocket(Poco::Net::SocketAddress::IPv4);
      far.bind(Poco::Net::SocketAddress(LabLink::kFarAddress, 0));
      far.setReceiveBufferSize(8 << 20);
    }
    NetnsScope inNear(lab.nearNamespaceFd());
    near = Poco::Net::DatagramSocket(Poco::Net::SocketAddress::IPv4);
    near.connect(far.address());
  }
  Poco::Net::DatagramSocket far;
  Poco::Net::DatagramSocket near;
};

// Receives until nothing arrives for `quietMs` (at most `maxPackets`).
int receiveAll(Poco::Net::DatagramSocket& socket, int maxPackets, int quietMs) {
  socket.setReceiveTimeout(Poco::Timespan(0, quietMs * 1000));
  char buffer[2048];
  int received = 0;
  while (received < maxPackets) {
    try {
      socket.receiveBytes(buffer, sizeof buffer);
      ++received;
    } catch (const Poco::TimeoutException&) {
      break;
    }
  }
  return received;
}

// CLOCK_REALTIME, the clock of the kernel's receive stamps (SO_TIMESTAMPNS).
std::int64_t realtimeNs() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// One datagram as the far side saw it: its number, when it was sent and
// when the kernel queued it at the far socket (SO_TIMESTAMPNS: so a
// receiving thread that a busy machine runs late does not count).
struct Arrival {
  std::uint32_t seq;
  std::int64_t sentNs;
  std::int64_t arrivedNs;
};

// Sends `count` datagrams `spacingUs` apart from near to far, each carrying
// its number and send time, while a thread receives them; returns what
// arrived, in arrival order (receiving stops 300 ms after the last one).
std::vector<Arrival> sendSpaced(SocketPair& sockets, std::uint32_t count, int spacingUs) {
  std::vector<Arrival> arrivals;
  std::thread receiver([&] {
    const int fd = sockets.far.impl()->sockfd();
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    unsigned char buffer[64];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    while (arrivals.size() < count) {
      pollfd ready{fd, POLLIN, 0};
      if (::poll(&ready, 1, 300) <= 0) break;  // 300 ms without one: done
      iovec io{buffer, sizeof buffer};
      msghdr message{};
      message.msg_iov = &io;
      message.msg_iovlen = 1;
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      if (::recvmsg(fd, &message, 0) < 12) continue;
      Arrival a{};
      for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec stamp{};
          std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
          a.arrivedNs = std::int64_t{stamp.tv_sec} * 1'000'000'000 + stamp.tv_nsec;
        }
      }
      std::memcpy(&a.seq, buffer, 4);
      std::memcpy(&a.sentNs, buffer + 4, 8);
      arrivals.push_back(a);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  unsigned char payload[12];
  for (std::uint32_t i = 0; i < count; ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(i * spacingUs));
    const std::int64_t now = realtimeNs();
    std::memcpy(payload, &i, 4);
    std::memcpy(payload + 4, &now, 8);
    sockets.near.sendBytes(payload, sizeof payload);
  }
  receiver.join();
  return arrivals;
}

// Arrivals whose number is below one that arrived before them: overtaken.
std::uint64_t overtaken(const std::vector<Arrival>& arrivals) {
  std::uint64_t late = 0;
  std::int64_t highest = -1;
  for (const Arrival& a : arrivals) {
    if (static_cast<std::int64_t>(a.seq) < highest) ++late;
    highest = std::max<std::int64_t>(highest, a.seq);
  }
  return late;
}

// What the sending stack, the TUN devices and the emulator's wake-up add to
// the configured delay, on average, on a loaded 2-core machine (measured:
// about 0.05 ms idle). A bound for the tests, not a goal.
constexpr double kStackSlackMs = 0.6;

}  // namespace

TEST(LabLink, CarriesUdpWithTheDelayOfItsSpecAndRemovesItsNamespaces) {
  std::string near, far;
  {
    BUILD_LAB_OR_SKIP(lab, "up.delay=25ms,seed=1");
    near = lab->nearName();
    far = lab->farName();
    EXPECT_TRUE(listed(near));
    EXPECT_TRUE(listed(far));
    SocketPair sockets(*lab);
    const std::int64_t sentNs = pigeon::wire::steadyNowNs();
    sockets.near.sendBytes("hello", 5);
    sockets.far.setReceiveTimeout(Poco::Timespan(2, 0));
    char buffer[16];
    ASSERT_EQ(sockets.far.receiveBytes(buffer, sizeof buffer), 5);
    const std::int64_t tookNs = pigeon::wire::steadyNowNs() - sentNs;
    EXPECT_GE(tookNs, 25'000'000);
    EXPECT_LT(tookNs, 50'000'000);  // not twice: generous for a loaded CI machine
    const auto up = lab->counters(Direction::kUp);
    EXPECT_EQ(up.udp.seen, 1u);
    EXPECT_EQ(up.udp.delivered, 1u);
    EXPECT_EQ(up.delayP50Ns, 25'000'000);
  }
  EXPECT_FALSE(listed(near));
  EXPECT_FALSE(listed(far));
}

TEST(LabLink, UdpLossEqualsTheEmulatorsDropCount) {
  BUILD_LAB_OR_SKIP(lab, "loss=5%,seed=11");
  SocketPair sockets(*lab);
  constexpr int kDatagrams = 4000;
  char payload[100] = {};
  for (int i = 0; i < kDatagrams; ++i) sockets.near.sendBytes(payload, sizeof payload);
  const int received = receiveAll(sockets.far, kDatagrams, 300);
  const auto udp = lab->counters(Direction::kUp).udp;
  EXPECT_EQ(udp.seen, static_cast<std::uint64_t>(kDatagrams));
  EXPECT_EQ(static_cast<std::uint64_t>(received), kDatagrams - udp.droppedByModel);
  // 5 % of 4,000 = 200; the 99.9 % binomial interval is about +-45.
  EXPECT_NEAR(static_cast<double>(udp.droppedByModel), 200.0, 45.0);
  EXPECT_EQ(lab->deviceDrops(), 0u);
}

TEST(LabLink, TheSameSeedLosesTheSameDatagrams) {
  const auto lostWith = [](const char* spec) -> std::optional<std::uint64_t> {
    std::optional<LabLink> lab;
    try {
      lab.emplace(LinkSpec::parse(spec));
    } catch (const LabUnavailable&) {
      return std::nullopt;
    }
    lab->start();
    SocketPair sockets(*lab);
    char payload[64] = {};
    for (int i = 0; i < 1000; ++i) sockets.near.sendBytes(payload, sizeof payload);
    receiveAll(sockets.far, 1000, 200);
    return lab->counters(Direction::kUp).udp.droppedByModel;
  };
  const auto first = lostWith("loss=10%,seed=5");
  if (!first) GTEST_SKIP() << "lab not possible here";
  EXPECT_EQ(lostWith("loss=10%,seed=5"), first);
  EXPECT_GT(*first, 0u);
}

TEST(LabLink, RemovesTheNamespacesOfADeadOwnerOnly) {
  try {
    LabLink::checkAvailable();
  } catch (const LabUnavailable& e) {
    GTEST_SKIP() << "lab not possible here: " << e.what();
  }
  // pid 9999999 is above pid_max on Linux (at most 2^22): never alive.
  const std::string dead = "pigeontest-9999999-near";
  const std::string alive = "pigeontest-" + std::to_string(::getpid()) + "-near";
  ASSERT_EQ(std::system(("ip netns add " + dead).c_str()), 0);
  ASSERT_EQ(std::system(("ip netns add " + alive).c_str()), 0);
  const auto removed = LabLink::removeStale("pigeontest");
  EXPECT_EQ(removed, std::vector<std::string>{dead});
  const auto left = LabLink::namespaces("pigeontest");
  EXPECT_EQ(left, std::vector<std::string>{alive});
  std::system(("ip netns delete " + alive).c_str());
}

TEST(LabLink, JitterLandsInsideTheBoundsOfItsNormalDraw) {
  // delay=10ms, jitter=2ms: each delay is 10 ms + 2 ms x N(0,1), N the sum
  // of 12 uniforms minus 6 (so within 10 +- 12 ms, and at least 0).
  BUILD_LAB_OR_SKIP(lab, "up.delay=10ms,up.jitter=2ms,seed=21");
  SocketPair sockets(*lab);
  constexpr std::uint32_t kCount = 1000;
  // Judged by the median and the interquartile range (a normal draw's IQR is
  // 1.349 sigma), which a few late copies barely move. And more than once
  // (below): on this project's virtual machines the host now and then stalls
  // a vCPU for milliseconds (the emulator then reads, and stamps, late: its
  // lateness p99 measured 2-10 ms on an idle VM in such a period), shifting
  // a whole run; a wrong draw fails every attempt, a stall only one.
  // 99.9 % bounds for 1,000 draws of N(10, 2): the median within 3.29 x
  // 1.2533 x 2 / sqrt(1000) = 0.26 ms, the IQR's sigma within 3.29 x
  // 0.037 = 12 %; the stacks add a little to both (kStackSlackMs to the
  // median, a third of it to sigma).
  // An attempt while the host took the CPU (over kMostStealPercent) is
  // not a judgement either way; up to six attempts, and the timing verdict
  // only where one was undisturbed.
  std::string attempts;
  bool inside = false;
  int judged = 0;
  std::uint64_t overtakenInAll = 0;
  for (int attempt = 0; attempt < 6 && !inside && judged < 3; ++attempt) {
    const CpuTicks before = cpuTicks();
    const auto arrivals = sendSpaced(sockets, kCount, 500);
    const double steal = stealPercentSince(before);
    if (steal <= kMostStealPercent) ++judged;
    ASSERT_EQ(arrivals.size(), kCount);
    std::vector<double> ms;
    ms.reserve(arrivals.size());
    for (const Arrival& a : arrivals) {
      ms.push_back(static_cast<double>(a.arrivedNs - a.sentNs) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    const auto quantile = [&ms](double q) {
      return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1))];
    };
    const double median = quantile(0.5);
    const double sigma = (quantile(0.75) - quantile(0.25)) / 1.349;
    // 2 ms of jitter on packets 0.5 ms apart: they overtake one another.
    const std::uint64_t overtook = overtaken(arrivals);
    overtakenInAll += overtook;
    inside = median >= 10.0 - 0.26 && median <= 10.0 + 0.26 + kStackSlackMs &&
             sigma >= 2.0 * 0.88 && sigma <= 2.0 * 1.12 + kStackSlackMs / 3 && overtook > 50;
    attempts += " [median " + std::to_string(median) + " ms, sigma " + std::to_string(sigma) +
                " ms, overtaken " + std::to_string(overtook) + ", host steal " +
                std::to_string(steal) + " %]";
  }
  if (inside || judged > 0) {
    EXPECT_TRUE(inside) << "no attempt inside the bounds:" << attempts;
  } else {
    std::cout << "[ NOT JUDGED ] the host took over " << kMostStealPercent
              << " % of the CPU in every attempt, so their timing is not the lab's:" << attempts
              << "\n";
  }
  // The emulator's own record of what it applied: the median is the delay.
  const auto up = lab->counters(Direction::kUp);
  EXPECT_NEAR(static_cast<double>(up.delayP50Ns) / 1e6, 10.0, 0.3);
  EXPECT_LE(up.delayMaxNs, 22'000'000);         // 10 ms + 6 x 2 ms at most
  EXPECT_EQ(up.udp.heldBack, 0u);               // jitter is not `reorder`'s hold
  EXPECT_EQ(up.udp.reordered, overtakenInAll);  // but it reorders, as the receiver saw
}

TEST(LabLink, JitterWithNoReorderNeverLetsAPacketOvertake) {
  BUILD_LAB_OR_SKIP(lab, "up.delay=10ms,up.jitter=2ms/noreorder,seed=21");
  SocketPair sockets(*lab);
  constexpr std::uint32_t kCount = 1000;
  const auto arrivals = sendSpaced(sockets, kCount, 500);
  ASSERT_EQ(arrivals.size(), kCount);
  EXPECT_EQ(overtaken(arrivals), 0u);
  for (std::uint32_t i = 0; i < kCount; ++i) ASSERT_EQ(arrivals[i].seq, i);
  // Held for the copy ahead, so never earlier than the delay's draw allows.
  const auto up = lab->counters(Direction::kUp);
  EXPECT_GE(static_cast<double>(up.delayP50Ns) / 1e6, 10.0 - 0.3);
  EXPECT_LE(static_cast<double>(up.delayMaxNs) / 1e6, 22.0);
}

TEST(LabLink, ReorderHoldsBackItsShareOfPacketsAndLaterOnesOvertakeThem) {
  // 10 % held back 15 ms more, packets 1 ms apart: each held one is
  // overtaken by the ~15 sent after it (fewer only in the last 15).
  BUILD_LAB_OR_SKIP(lab, "up.reorder=10%/15ms,seed=22");
  SocketPair sockets(*lab);
  constexpr std::uint32_t kCount = 800;
  const auto arrivals = sendSpaced(sockets, kCount, 1000);
  ASSERT_EQ(arrivals.size(), kCount);
  const std::uint64_t held = lab->counters(Direction::kUp).udp.heldBack;
  EXPECT_TRUE(pigeon::link::stats::binomialInterval999(kCount, 0.10).contains(held)) << held;
  const std::uint64_t late = overtaken(arrivals);
  EXPECT_LE(late, held);
  EXPECT_GE(late + 15, held);
  EXPECT_EQ(lab->counters(Direction::kUp).udp.reordered, late);
  // What the emulator gave them: nothing, or exactly the hold.
  const auto up = lab->counters(Direction::kUp);
  EXPECT_EQ(up.delayP50Ns, 0);
  EXPECT_EQ(up.delayMaxNs, 15'000'000);
}
