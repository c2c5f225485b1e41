// bench/lab-compare/cpu-stalls: how often this machine takes a CPU away
// from a thread that wants it, with nothing of pigeon's running. One thread
// per CPU, pinned to it, at the lab emulator's priority (SCHED_FIFO 1, as
// link::raiseToTimingPriority), does nothing but read CLOCK_MONOTONIC for
// SECONDS (default 2); every gap between two reads over 20 us is a time it
// had no CPU: an interrupt, the kernel's fair server running a starved
// normal thread, or the hypervisor running another guest. The emulator's
// thread is held up by the same gaps, and at 50,000 packets/s each one is
// that many packets late. Prints one line per CPU. Built by run; not part
// of pigeon.
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <vector>

namespace {

std::int64_t nowNs() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

struct Gaps {
  std::int64_t over20us = 0, over100us = 0, over300us = 0, over1ms = 0;
  std::int64_t lostNs = 0, maxNs = 0;
  bool realtime = false;
};

Gaps watch(int cpu, double seconds) {
  Gaps gaps;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  const sched_param priority{1};
  gaps.realtime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &priority) == 0;
  const std::int64_t end = nowNs() + static_cast<std::int64_t>(seconds * 1e9);
  constexpr std::int64_t kSpellNs = 4'000'000;
  const timespec rest{0, 500'000};
  std::int64_t last = nowNs();
  std::int64_t spellEnd = last + kSpellNs;
  for (;;) {
    std::int64_t now = nowNs();
    if (now > spellEnd) {
      nanosleep(&rest, nullptr);
      now = last = nowNs();
      spellEnd = now + kSpellNs;
    }
    const std::int64_t gap = now - last;
    last = now;
    if (gap > 20'000) {
      ++gaps.over20us;
      gaps.lostNs += gap;
      gaps.over100us += gap > 100'000;
      gaps.over300us += gap > 300'000;
      gaps.over1ms += gap > 1'000'000;
      if (gap > gaps.maxNs) gaps.maxNs = gap;
    }
    if (now > end) break;
  }
  return gaps;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::vector<Gaps> results(cpus);
  std::vector<std::thread> threads;
  for (int cpu = 0; cpu < cpus; ++cpu) {
    threads.emplace_back([&results, cpu, seconds] { results[cpu] = watch(cpu, seconds); });
  }
  for (auto& t : threads) t.join();
  for (int cpu = 0; cpu < cpus; ++cpu) {
    const Gaps& g = results[cpu];
    std::printf(
        "cpu %d%s: %.1f s, held off %lld times over 20 us (%.1f ms in all), %lld over 100 us, "
        "%lld over 300 us, %lld over 1 ms, longest %.0f us\n",
        cpu, g.realtime ? "" : " (not real-time: no permission)", seconds,
        static_cast<long long>(g.over20us), g.lostNs / 1e6, static_cast<long long>(g.over100us),
        static_cast<long long>(g.over300us), static_cast<long long>(g.over1ms), g.maxNs / 1e3);
  }
}
