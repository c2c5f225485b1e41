#include "link/DelayQueue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

using pigeon::link::DelayQueue;

namespace {

std::vector<std::uint8_t> bytesOf(const std::string& text) { return {text.begin(), text.end()}; }

// What releaseDue(now) handed out, as text.
std::vector<std::string> releaseAt(DelayQueue& queue, std::int64_t nowNs) {
  std::vector<std::string> out;
  queue.releaseDue(nowNs, [&](const DelayQueue::Copy& copy) {
    EXPECT_LE(copy.dueNs, nowNs) << "released before it was due";
    out.emplace_back(copy.bytes.begin(), copy.bytes.end());
  });
  return out;
}

}  // namespace

TEST(DelayQueue, ReleasesEachCopyWhenDueAndNotBeforeInDueOrderFifoAmongEqualTimes) {
  DelayQueue queue(100, 1 << 20);
  // Pushed out of due order (jitter does that), two pairs due together.
  queue.push(3'000, true, false, bytesOf("c"));
  queue.push(1'000, true, false, bytesOf("a"));
  queue.push(2'000, false, false, bytesOf("b1"));
  queue.push(2'000, true, true, bytesOf("b2"));
  queue.push(5'000, true, false, bytesOf("e1"));
  queue.push(5'000, true, false, bytesOf("e2"));
  ASSERT_EQ(queue.nextDueNs(), 1'000);

  EXPECT_TRUE(releaseAt(queue, 999).empty());
  EXPECT_EQ(releaseAt(queue, 1'000), std::vector<std::string>{"a"});
  EXPECT_EQ(queue.nextDueNs(), 2'000);
  EXPECT_EQ(releaseAt(queue, 2'500), (std::vector<std::string>{"b1", "b2"}));
  EXPECT_EQ(releaseAt(queue, 4'999), std::vector<std::string>{"c"});
  EXPECT_EQ(releaseAt(queue, 10'000), (std::vector<std::string>{"e1", "e2"}));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.nextDueNs(), std::nullopt);
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(DelayQueue, KeepsDirectionAndControlAndLetsTheCallerChangeTheBytes) {
  DelayQueue queue(10, 1000);
  std::uint8_t* bytes = queue.push(7, false, true, bytesOf("xyz"));
  ASSERT_NE(bytes, nullptr);
  bytes[1] ^= 0x20;  // what a corrupting link does
  int seen = 0;
  queue.releaseDue(7, [&](const DelayQueue::Copy& copy) {
    ++seen;
    EXPECT_FALSE(copy.up);
    EXPECT_TRUE(copy.control);
    EXPECT_EQ(std::string(copy.bytes.begin(), copy.bytes.end()), "xYz");
  });
  EXPECT_EQ(seen, 1);
}

TEST(DelayQueue, RefusesCopiesBeyondEitherBound) {
  DelayQueue byCount(2, 1000);
  EXPECT_NE(byCount.push(1, true, false, bytesOf("a")), nullptr);
  EXPECT_NE(byCount.push(1, true, false, bytesOf("b")), nullptr);
  EXPECT_EQ(byCount.push(1, true, false, bytesOf("c")), nullptr);
  EXPECT_EQ(byCount.size(), 2u);

  DelayQueue byBytes(100, 5);
  EXPECT_NE(byBytes.push(1, true, false, bytesOf("abc")), nullptr);
  EXPECT_EQ(byBytes.push(1, true, false, bytesOf("def")), nullptr);
  EXPECT_EQ(byBytes.bytes(), 3u);
  EXPECT_EQ(releaseAt(byBytes, 1), std::vector<std::string>{"abc"});
  EXPECT_NE(byBytes.push(2, true, false, bytesOf("defgh")), nullptr);  // room again
}

TEST(DelayQueue, StaysInOrderOverManyPushesAndReleasesAsAClockAdvances) {
  // A relay's life: copies of a 10 us stream, delayed 1 ms with a jitter
  // that reorders them, released as a fake clock steps 7 us at a time.
  DelayQueue queue(100'000, 64 << 20);
  std::uint32_t x = 99;
  std::int64_t sendNs = 0;
  std::int64_t lastReleased = -1;
  std::size_t released = 0;
  for (std::int64_t now = 0; now < 50'000'000; now += 7'000) {
    while (sendNs <= now && sendNs < 40'000'000) {
      x = x * 1103515245u + 12345u;
      const std::int64_t due = sendNs + 1'000'000 + static_cast<std::int64_t>(x >> 16) % 200'000;
      queue.push(due, true, false, bytesOf(std::to_string(due)));
      sendNs += 10'000;
    }
    queue.releaseDue(now, [&](const DelayQueue::Copy& copy) {
      const std::int64_t due = std::stoll(std::string(copy.bytes.begin(), copy.bytes.end()));
      EXPECT_EQ(due, copy.dueNs);
      EXPECT_LE(due, now);
      EXPECT_GT(due, now - 7'000) << "held past its time";
      EXPECT_GE(due, lastReleased);
      lastReleased = due;
      ++released;
    });
  }
  EXPECT_EQ(released, 4'000u);
  EXPECT_TRUE(queue.empty());
}
