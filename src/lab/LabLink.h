#pragma once

#include "lab/Emulator.h"
#include "link/LinkSpec.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pigeon::lab {

// What carries the packets between the two namespaces: pigeon's own seeded
// emulator between two TUN devices, or a veth pair with the kernel's netem
// qdisc on each end (only where the kernel has netem; its random decisions
// are the kernel's, not pigeon's seeded ones, and the emulator's counters
// stay 0).
enum class Engine { kTun, kNetem };
const char* engineName(Engine engine);
// "tun" or "netem"; throws std::invalid_argument for anything else.
Engine parseEngine(const std::string& name);

struct LabOptions {
  Engine engine = Engine::kTun;
  std::string prefix = "pigeon";        // namespaces are PREFIX-PID-near / -far
  std::size_t mtuBytes = 1500;          // of both TUN devices
  std::size_t txQueuePackets = 10'000;  // the TUN's kernel queue, ahead of the emulator
  bool ipv6 = false;                    // off: no fe80:: address, no router solicitations
};

// A lab link: two network namespaces, `near` and `far`, each with a TUN
// device (IFF_TUN | IFF_NO_PI) whose file descriptor this process keeps,
// joined by an Emulator thread that reads every IP packet one device
// delivers, runs it through the ImpairmentModel of its direction (up =
// near -> far, down = far -> near) and writes the copies to the other
// device when they are due:
//
//   near ns                                           far ns
//   10.77.0.1 pigeon0 <-fd-> [ up: model 0   ] <-fd-> pigeon0 10.77.0.2
//                            [ down: model 1 ]
//
// Each side has a /32 address with a host route to the other, lo up, and
// (unless asked) IPv6 off on the TUN. Every namespace a lab makes is named
// PREFIX-PID-..., so the next lab removes those whose owner is dead. Throws
// LabUnavailable when the machine cannot host a lab, std::runtime_error
// for a failure; whatever was made is removed then, and by the destructor.
// Non-copyable. counters() is thread safe.
class LabLink {
 public:
  static constexpr const char* kNearAddress = "10.77.0.1";
  static constexpr const char* kFarAddress = "10.77.0.2";
  static constexpr const char* kDeviceName = "pigeon0";

  explicit LabLink(const link::LinkSpec& spec, LabOptions options = {});
  ~LabLink();  // stops, then removes the namespaces and what is in them
  LabLink(const LabLink&) = delete;
  LabLink& operator=(const LabLink&) = delete;

  // Starts the emulator thread. stop() ends it (within milliseconds).
  void start();
  void stop() noexcept;
  // Whether the emulator thread runs at a real-time priority (SCHED_FIFO,
  // where allowed), which keeps its timing on a busy machine.
  bool realtime() const { return realtime_; }
  // Why the emulator thread ended early; empty if it did not.
  std::string error() const;

  const std::string& nearName() const { return nearName_; }
  const std::string& farName() const { return farName_; }
  int nearNamespaceFd() const { return nearNs_; }
  int farNamespaceFd() const { return farNs_; }
  const link::LinkSpec& spec() const { return spec_; }
  const LabOptions& options() const { return options_; }

  DirectionCounters counters(Emulator::Direction direction) const;
  void resetCounters();
  // Packets the TUN devices' kernel queues dropped (tx_dropped), in front of
  // the emulator: both devices together.
  std::uint64_t deviceDrops() const;

  // Throws LabUnavailable saying what is missing: root, /dev/net/tun (tun
  // engine), `ip`.
  static void checkAvailable(Engine engine = Engine::kTun);
  // Removes the namespaces PREFIX-PID-* whose PID is not running (and
  // kills what still runs in them); returns their names.
  static std::vector<std::string> removeStale(const std::string& prefix);
  // Removes every namespace PREFIX-PID-* of this process, for a process
  // about to exit on a signal without running destructors.
  static void removeOwn(const std::string& prefix);
  // The namespaces PREFIX-* there are now.
  static std::vector<std::string> namespaces(const std::string& prefix);

 private:
  void build();
  void buildSide(const std::string& name, int& nsFd, int& tunFd, const char* local,
                 const char* peer);
  void makeNamespace(const std::string& name, int& nsFd);
  void configureDevice(const std::string& name, int nsFd, const char* local, const char* peer);
  void buildNetem();
  void remove() noexcept;
  void run();
  void loop();
  void readFrom(int fd, Emulator::Direction direction, std::vector<unsigned char>& buffer);
  // Writes a due copy to the device of the other side (holding mutex_).
  void writeCopy(Emulator::Direction direction, const std::vector<unsigned char>& packet);

  link::LinkSpec spec_;
  LabOptions options_;
  std::string nearName_;
  std::string farName_;
  std::vector<std::string> made_;  // namespaces created, to remove
  int nearNs_ = -1;
  int farNs_ = -1;
  int nearTun_ = -1;
  int farTun_ = -1;
  int wake_ = -1;  // eventfd: stop() wakes the thread's poll

  mutable std::mutex mutex_;  // guards emulator_, writeErrors_ and error_
  Emulator emulator_;
  std::uint64_t writeErrors_ = 0;
  const Emulator::Deliver deliver_ = [this](Emulator::Direction direction,
                                            const std::vector<unsigned char>& packet) {
    writeCopy(direction, packet);
  };
  std::string error_;

  std::thread thread_;
  std::atomic<bool> stopRequested_{false};
  std::atomic<bool> realtime_{false};
};

}  // namespace pigeon::lab
