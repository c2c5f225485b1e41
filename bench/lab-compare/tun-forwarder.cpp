// A bare TUN-to-TUN forwarder for bench/lab-compare: the floor a TUN
// emulator cannot beat. Opens a TUN device `pigeon0` in each of two
// existing network namespaces, gives them the lab's addresses (near
// 10.77.0.1, far 10.77.0.2, /32 point to point, MTU 1500, txqueuelen
// 10000, IPv6 off), then only reads a packet from one and writes it to the
// other, nothing else, until SIGTERM or SIGINT, at the real-time priority
// pigeon's emulator thread asks for (SCHED_FIFO 1). On the way out it prints one
// line: packets forwarded each way, the device queue drops, and its own CPU
// time (user and system, from getrusage), so the script can set CPU per
// packet beside pigeon's emulator.
//
//   tun-forwarder /run/netns/NEAR /run/netns/FAR
//
// Built by bench/lab-compare with the system compiler; not part of pigeon.
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

volatile std::sig_atomic_t stopping = 0;
void onSignal(int) { stopping = 1; }

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "tun-forwarder: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

// Enters the namespace at `path`, opens pigeon0 there and configures it,
// then returns to where it was. The descriptor stays bound to that device.
int openIn(const char* path, const char* local, const char* peer) {
  const int home = ::open("/proc/self/ns/net", O_RDONLY);
  const int ns = ::open(path, O_RDONLY);
  if (home < 0 || ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) die(std::string("enter ") + path);
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (fd < 0) die("open /dev/net/tun");
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, "pigeon0", IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &request) != 0) die("TUNSETIFF");
  std::ofstream("/proc/sys/net/ipv6/conf/pigeon0/disable_ipv6") << "1";
  const std::string setup = std::string("ip link set lo up && ip link set pigeon0 mtu 1500 ") +
                            "txqueuelen 10000 up && ip addr add " + local + "/32 peer " + peer +
                            "/32 dev pigeon0";
  if (std::system(setup.c_str()) != 0) die("ip setup in " + std::string(path));
  if (::setns(home, CLONE_NEWNET) != 0) die("return home");
  ::close(home);
  ::close(ns);
  return fd;
}

// tx_dropped of pigeon0 in the namespace at `path`.
unsigned long long txDropped(const char* path) {
  const std::string command = std::string("ip netns exec ") + (std::strrchr(path, '/') + 1) +
                              " cat /sys/class/net/pigeon0/statistics/tx_dropped";
  unsigned long long drops = 0;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    if (std::fscanf(pipe, "%llu", &drops) != 1) drops = 0;
    ::pclose(pipe);
  }
  return drops;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tun-forwarder /run/netns/NEAR /run/netns/FAR\n");
    return 64;
  }
  struct sigaction action {};
  action.sa_handler = onSignal;
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  const int near = openIn(argv[1], "10.77.0.1", "10.77.0.2");
  const int far = openIn(argv[2], "10.77.0.2", "10.77.0.1");
  // The same real-time priority as pigeon's emulator thread (SCHED_FIFO 1),
  // so a busy machine slows both alike.
  const sched_param priority{1};
  const bool realtime = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &priority) == 0;
  std::printf("ready%s\n", realtime ? " (SCHED_FIFO 1)" : "");
  std::fflush(stdout);
  static unsigned char buffer[65536];
  unsigned long long up = 0;
  unsigned long long down = 0;
  rusage start{};
  ::getrusage(RUSAGE_SELF, &start);
  while (!stopping) {
    pollfd fds[2] = {{near, POLLIN, 0}, {far, POLLIN, 0}};
    if (::poll(fds, 2, 100) < 0 && errno != EINTR) die("poll");
    for (int side = 0; side < 2; ++side) {
      if (!(fds[side].revents & POLLIN)) continue;
      const int from = side == 0 ? near : far;
      const int to = side == 0 ? far : near;
      for (int i = 0; i < 64; ++i) {  // as pigeon's loop: at most 64 per turn
        const ssize_t n = ::read(from, buffer, sizeof buffer);
        if (n <= 0) break;
        if (::write(to, buffer, static_cast<std::size_t>(n)) == n) ++(side == 0 ? up : down);
      }
    }
  }
  rusage end{};
  ::getrusage(RUSAGE_SELF, &end);
  const auto seconds = [](const timeval& a, const timeval& b) {
    return static_cast<double>(b.tv_sec - a.tv_sec) +
           static_cast<double>(b.tv_usec - a.tv_usec) / 1e6;
  };
  std::printf("up=%llu down=%llu device_drops=%llu user_s=%.3f sys_s=%.3f\n", up, down,
              txDropped(argv[1]) + txDropped(argv[2]), seconds(start.ru_utime, end.ru_utime),
              seconds(start.ru_stime, end.ru_stime));
  return 0;
}
