#pragma once

namespace pigeon::link {

// Gives the calling thread what a thread whose wake-ups are departures needs
// on a busy machine: the lowest real-time priority (SCHED_FIFO 1, above every
// normal thread: builds, tests and the programs measured beside it) where the
// process may have it (root, or an RLIMIT_RTPRIO above 0), and a timer slack
// of 1 ns, so a sleep ends when it was asked to, not up to 50 us later (real-
// time threads have no slack anyway). Best effort: returns whether the thread
// now runs real-time; it runs on as before when not. The kernel's real-time
// throttling still leaves normal threads 5 % of each second. Used by the
// link relay's thread and the lab's emulator thread.
bool raiseToTimingPriority() noexcept;

}  // namespace pigeon::link
