#include "lab/LabLink.h"

#include "lab/LabUnavailable.h"
#include "lab/Netem.h"
#include "lab/NetnsScope.h"
#include "lab/RunTool.h"
#include "lab/SpinBudget.h"
#include "lab/UserNamespace.h"
#include "lab/WakeMargin.h"
#include "link/TimingPriority.h"
#include "wire/Clock.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace pigeon::lab {

namespace {

constexpr const char* kNetnsDir = "/run/netns";
constexpr std::size_t kMaxPacketBytes = 65536;
// Reads per device per turn, so a flood one way cannot starve the other
// way or the writing of due copies.
constexpr int kMaxReadsPerTurn = 64;
constexpr std::int64_t kMaxWaitNs = 100'000'000;

std::atomic<int> labsInProcess{0};
// Held while a lab builds or removes its namespaces, so removeOwn() (from a
// signal watcher) sees all of them or none.
std::recursive_mutex namespacesMutex;

[[noreturn]] void throwErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

bool processAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// The owner pid in PREFIX-PID-...; 0 when the name is not a lab's.
pid_t ownerOf(const std::string& name, const std::string& prefix) {
  const std::string head = prefix + "-";
  if (name.rfind(head, 0) != 0) return 0;
  std::size_t i = head.size();
  pid_t pid = 0;
  const std::size_t start = i;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9' && i - start < 9) {
    pid = pid * 10 + (name[i] - '0');
    ++i;
  }
  if (i == start || i >= name.size() || name[i] != '-') return 0;
  return pid;
}

// Kills what still runs in a namespace, then removes its name.
void deleteNamespace(const std::string& name) {
  const ToolResult pids = runTool({"ip", "netns", "pids", name});
  if (pids.exitCode == 0) {
    std::istringstream in(pids.output);
    long pid = 0;
    while (in >> pid) {
      if (pid > 1 && pid != ::getpid()) ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }
  runTool({"ip", "netns", "delete", name});
}

int openTun(const char* name) {
  const std::string path = tunDevicePath();
  const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EACCES || errno == EPERM) {
      throw LabUnavailable(
          LabUnavailable::Reason::kNoPermission,
          "cannot open " + path + ": " + std::string(std::strerror(errno)) + " (run as root)");
    }
    throw LabUnavailable(LabUnavailable::Reason::kMissing,
                         "cannot open " + path + ": " + std::string(std::strerror(errno)) +
                             " (load the tun module: modprobe tun)");
  }
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &request) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    throwErrno(std::string("TUNSETIFF ") + name);
  }
  return fd;
}

// Writes a sysctl of the calling thread's namespace; false if there is no
// such file (e.g. no IPv6 in this kernel).
bool writeSysctl(const std::string& path, const char* value) {
  std::ofstream out(path);
  if (!out) return false;
  out << value;
  return static_cast<bool>(out.flush());
}

// tx_dropped of a device in the calling thread's namespace.
std::uint64_t txDropped(const char* device) {
  std::ifstream in("/proc/thread-self/net/dev");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name != device) continue;
    std::istringstream fields(line.substr(colon + 1));
    std::uint64_t v[12] = {};
    for (auto& f : v) fields >> f;
    return v[11];  // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets
                   // errs drop
  }
  return 0;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

const char* engineName(Engine engine) { return engine == Engine::kNetem ? "netem" : "tun"; }

Engine parseEngine(const std::string& name) {
  if (name == "tun") return Engine::kTun;
  if (name == "netem") return Engine::kNetem;
  throw std::invalid_argument("unknown lab engine '" + name + "' (tun or netem)");
}

void LabLink::checkAvailable(Engine engine) {
  if (::geteuid() != 0) {
    throw LabUnavailable(LabUnavailable::Reason::kNoPermission,
                         "needs root: network namespaces and TUN devices need CAP_NET_ADMIN "
                         "(run it as root)");
  }
  if (engine == Engine::kTun && ::access(tunDevicePath().c_str(), F_OK) != 0) {
    throw LabUnavailable(LabUnavailable::Reason::kMissing,
                         "no /dev/net/tun: load the tun module (modprobe tun) or, in a "
                         "container, pass the device in (--device /dev/net/tun)");
  }
  if (runTool({"ip", "-V"}).exitCode != 0) {
    throw LabUnavailable(LabUnavailable::Reason::kMissing,
                         "needs the 'ip' tool of iproute2 (apt-get install iproute2)");
  }
}

std::vector<std::string> LabLink::namespaces(const std::string& prefix) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(kNetnsDir);
  if (!dir) return names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.rfind(prefix + "-", 0) == 0) names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> LabLink::removeStale(const std::string& prefix) {
  std::vector<std::string> removed;
  for (const auto& name : namespaces(prefix)) {
    const pid_t owner = ownerOf(name, prefix);
    if (owner <= 0 || processAlive(owner)) continue;
    deleteNamespace(name);
    removed.push_back(name);
  }
  return removed;
}

void LabLink::removeOwn(const std::string& prefix) {
  std::lock_guard lock(namespacesMutex);
  for (const auto& name : namespaces(prefix)) {
    if (ownerOf(name, prefix) == ::getpid()) deleteNamespace(name);
  }
}

LabLink::LabLink(const link::LinkSpec& spec, LabOptions options)
    : spec_(spec), options_(std::move(options)), emulator_(spec) {
  checkAvailable(options_.engine);
  removeStale(options_.prefix);
  const int index = labsInProcess++;
  const std::string base = options_.prefix + "-" + std::to_string(::getpid()) +
                           (index ? "-" + std::to_string(index) : "");
  nearName_ = base + "-near";
  farName_ = base + "-far";
  std::lock_guard lock(namespacesMutex);
  try {
    build();
  } catch (...) {
    remove();
    throw;
  }
}

LabLink::~LabLink() {
  stop();
  remove();
}

void LabLink::build() {
  if (options_.engine == Engine::kNetem) {
    buildNetem();
    return;
  }
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ < 0) throwErrno("eventfd");
  buildSide(nearName_, nearNs_, nearTun_, kNearAddress, kFarAddress);
  buildSide(farName_, farNs_, farTun_, kFarAddress, kNearAddress);
}

void LabLink::makeNamespace(const std::string& name, int& nsFd) {
  const std::string path = std::string(kNetnsDir) + "/" + name;
  if (inOwnUserNamespace()) {
    nsFd = makeHeldNamespace(path);
    made_.push_back(name);
    return;
  }
  const ToolResult added = runTool({"ip", "netns", "add", name});
  if (added.exitCode != 0) {
    throw LabUnavailable(LabUnavailable::Reason::kMissing,
                         "cannot create network namespace " + name + ": " + trimmed(added.output));
  }
  made_.push_back(name);
  nsFd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (nsFd < 0) throwErrno("open " + path);
}

void LabLink::buildSide(const std::string& name, int& nsFd, int& tunFd, const char* local,
                        const char* peer) {
  makeNamespace(name, nsFd);
  {
    NetnsScope inside(nsFd);
    tunFd = openTun(kDeviceName);
  }
  configureDevice(name, nsFd, local, peer);
}

// The veth engine: near and far namespaces joined by a veth pair whose two
// ends (both pigeon0) carry a netem qdisc each, up's on near's end (it
// delays what near sends), down's on far's.
void LabLink::buildNetem() {
  // What netem cannot do is refused before anything is made.
  const std::vector<std::string> up = netemArguments(spec_.up);
  const std::vector<std::string> down = netemArguments(spec_.down);
  if (runTool({"tc", "-V"}).exitCode != 0) {
    throw LabUnavailable(LabUnavailable::Reason::kMissing,
                         "the netem engine needs the 'tc' tool of iproute2 (apt-get install "
                         "iproute2)");
  }
  makeNamespace(nearName_, nearNs_);
  makeNamespace(farName_, farNs_);
  runToolOrThrow({"ip", "-n", nearName_, "link", "add", kDeviceName, "type", "veth", "peer", "name",
                  kDeviceName, "netns", farName_});
  for (const auto& [name, args] : {std::pair{nearName_, up}, std::pair{farName_, down}}) {
    std::vector<std::string> argv = {"tc",  "-n",        name,   "qdisc", "add",
                                     "dev", kDeviceName, "root", "netem"};
    argv.insert(argv.end(), args.begin(), args.end());
    const ToolResult added = runTool(argv);
    if (added.exitCode == 0) continue;
    if (added.output.find("nknown") != std::string::npos ||
        added.output.find("not supported") != std::string::npos) {
      throw LabUnavailable(LabUnavailable::Reason::kNoNetem,
                           "this kernel has no netem qdisc (tc: " + trimmed(added.output) +
                               "): load it (modprobe sch_netem, or a kernel with "
                               "CONFIG_NET_SCH_NETEM), or use the default engine, tun");
    }
    throw std::runtime_error("tc qdisc add ... netem failed: " + trimmed(added.output));
  }
  configureDevice(nearName_, nearNs_, kNearAddress, kFarAddress);
  configureDevice(farName_, farNs_, kFarAddress, kNearAddress);
}

void LabLink::configureDevice(const std::string& name, int nsFd, const char* local,
                              const char* peer) {
  if (!options_.ipv6) {
    NetnsScope inside(nsFd);
    writeSysctl(std::string("/proc/sys/net/ipv6/conf/") + kDeviceName + "/disable_ipv6", "1");
  }
  runToolOrThrow({"ip", "-n", name, "link", "set", "lo", "up"});
  runToolOrThrow({"ip", "-n", name, "link", "set", "dev", kDeviceName, "mtu",
                  std::to_string(options_.mtuBytes), "txqueuelen",
                  std::to_string(options_.txQueuePackets), "up"});
  // A /32 with the peer as the other end of the point-to-point device: the
  // kernel adds the host route to the peer. TUN has no ARP.
  runToolOrThrow({"ip", "-n", name, "addr", "add", std::string(local) + "/32", "peer",
                  std::string(peer) + "/32", "dev", kDeviceName});
}

void LabLink::remove() noexcept {
  for (int* fd : {&nearTun_, &farTun_, &nearNs_, &farNs_, &wake_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  // Recursive: the constructor holds it already when it undoes a build().
  std::lock_guard lock(namespacesMutex);
  for (const auto& name : made_) {
    try {
      deleteNamespace(name);
    } catch (...) {
      // best effort: the next lab removes what is left (removeStale)
    }
  }
  made_.clear();
}

void LabLink::writeCopy(Emulator::Direction direction, const std::vector<unsigned char>& packet) {
  const int fd = direction == Emulator::Direction::kUp ? farTun_ : nearTun_;
  if (::write(fd, packet.data(), packet.size()) != static_cast<ssize_t>(packet.size())) {
    ++writeErrors_;
  }
}

void LabLink::start() {
  if (thread_.joinable()) throw std::logic_error("lab link: started twice");
  if (options_.engine == Engine::kNetem) return;  // the kernel's qdiscs do the work
  stopRequested_ = false;
  thread_ = std::thread([this] { run(); });
}

void LabLink::stop() noexcept {
  stopRequested_ = true;
  if (wake_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
}

std::string LabLink::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

DirectionCounters LabLink::counters(Emulator::Direction direction) const {
  std::lock_guard lock(mutex_);
  return emulator_.counters(direction);
}

void LabLink::resetCounters() {
  std::lock_guard lock(mutex_);
  emulator_.resetCounters();
}

std::uint64_t LabLink::deviceDrops() const {
  std::uint64_t drops = 0;
  for (int ns : {nearNs_, farNs_}) {
    if (ns < 0) continue;
    NetnsScope inside(ns);
    drops += txDropped(kDeviceName);
  }
  return drops;
}

void LabLink::run() {
  // A busy machine must not delay the copies' departures (link's
  // raiseToTimingPriority says how, and its limits).
  realtime_ = link::raiseToTimingPriority();
  try {
    loop();
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    error_ = std::string("lab emulator stopped: ") + e.what();
  }
}

void LabLink::loop() {
  std::vector<unsigned char> buffer(kMaxPacketBytes);
  // The thread sleeps until the next copy is due less this margin, then
  // polls without sleeping until it is (within the spin budget): a timed
  // sleep here wakes tens to hundreds of microseconds late (measured: p50
  // 40 us, p99 370 us at SCHED_FIFO on this VM), the copy should not.
  WakeMargin margin;
  SpinBudget spin;
  while (!stopRequested_) {
    std::int64_t waitNs = kMaxWaitNs;
    {
      std::lock_guard lock(mutex_);
      const std::int64_t now = wire::steadyNowNs();
      emulator_.deliverDue(now, deliver_);
      const auto next = emulator_.nextDueNs();
      const std::int64_t untilDue = next ? *next - now : kMaxWaitNs;
      // Within the margin of a due copy: spin if the budget allows, else
      // sleep until it is due. Further away: sleep until the margin.
      const bool near = untilDue <= margin.ns();
      if (spin.spin(now, next && near)) {
        waitNs = 0;
      } else if (next) {
        waitNs = std::clamp<std::int64_t>(near ? untilDue : untilDue - margin.ns(), 0, kMaxWaitNs);
      }
    }
    pollfd fds[3] = {{nearTun_, POLLIN, 0}, {farTun_, POLLIN, 0}, {wake_, POLLIN, 0}};
    const timespec timeout{static_cast<time_t>(waitNs / 1'000'000'000),
                           static_cast<long>(waitNs % 1'000'000'000)};
    const std::int64_t wakeAtNs = wire::steadyNowNs() + waitNs;
    const int ready = ::ppoll(fds, 3, &timeout, nullptr);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throwErrno("ppoll");
    }
    if (ready == 0 && waitNs > 0) margin.onTimedWake(wire::steadyNowNs() - wakeAtNs);
    if (fds[0].revents & POLLIN) readFrom(nearTun_, Emulator::Direction::kUp, buffer);
    if (fds[1].revents & POLLIN) readFrom(farTun_, Emulator::Direction::kDown, buffer);
    if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLNVAL)) {
      throw std::runtime_error("a TUN device failed");
    }
  }
}

void LabLink::readFrom(int fd, Emulator::Direction direction, std::vector<unsigned char>& buffer) {
  // One lock for the batch, not one per packet: counters() waits at most
  // one batch.
  std::lock_guard lock(mutex_);
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      // EAGAIN: nothing more now; EIO: the device is going down. Either way
      // the next poll tells.
      return;
    }
    if (n == 0) return;
    const std::int64_t now = wire::steadyNowNs();
    emulator_.onPacket(direction, now, buffer.data(), static_cast<std::size_t>(n));
    // A copy that fell due while this batch is read leaves now, not after it.
    if (const auto next = emulator_.nextDueNs(); next && *next <= now) {
      emulator_.deliverDue(now, deliver_);
    }
  }
}

}  // namespace pigeon::lab
