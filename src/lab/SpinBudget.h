#pragma once

#include <cstdint>

namespace pigeon::lab {

// How much of its time the emulator thread may spend spinning (polling
// without sleeping until a copy is due): at most kShareNum/kShareDen of
// each kWindowNs. A thread at a real-time priority that spins all the time
// takes a whole core from everything else, the senders and receivers of
// the very traffic it carries among them (measured on this 2-core VM at
// 50,000 copies/s: their one-way p50 went from +0.9-2.7 ms to +2.5-4.1 ms),
// and the kernel's fair server then stops it for tens of milliseconds. Past
// the budget the thread sleeps until the copy is due and takes the timer's
// lateness. Sans I/O, not thread safe.
class SpinBudget {
 public:
  static constexpr std::int64_t kWindowNs = 10'000'000;
  static constexpr std::int64_t kShareNum = 1;
  static constexpr std::int64_t kShareDen = 4;

  // Called on each turn of the thread's loop: whether it may spin from
  // `nowNs` on, if it `wants` to. The time since the previous call is
  // charged to the budget if that one let it spin.
  bool spin(std::int64_t nowNs, bool wants);

 private:
  std::int64_t windowStartNs_ = 0;
  std::int64_t spentNs_ = 0;
  std::int64_t lastNs_ = 0;
  bool spinning_ = false;
};

}  // namespace pigeon::lab
