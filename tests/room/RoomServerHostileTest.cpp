// A room server under hostile clients, on loopback: what one client sends
// (random bytes, a broken frame, 10 KB lines, escape sequences, nothing at
// all, a flood it never reads the answers to) changes nothing for others.

#include "room/RoomServer.h"

#include "chat/RoomPack.h"
#include "wire/Codec.h"

#include <Poco/Exception.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

using pigeon::room::RoomLimits;
using pigeon::room::RoomServer;
using pigeon::transport::TransportKind;

namespace {

using Clock = std::chrono::steady_clock;

class RunningRoom {
 public:
  RunningRoom(TransportKind kind, const RoomLimits& limits)
      : server_(RoomServer::open(kind, "127.0.0.1", 0, limits, {})),
        thread_([this] { server_->run(stop_); }) {}
  ~RunningRoom() {
    stop_ = true;
    thread_.join();
  }
  RoomServer& server() { return *server_; }
  Poco::Net::SocketAddress address() const { return server_->localAddress(); }

 private:
  std::unique_ptr<RoomServer> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Reads from `socket` into `got` until `needle` is in it or `timeoutMs` passes.
bool readUntil(Poco::Net::StreamSocket& socket, std::string& got, const std::string& needle,
               int timeoutMs = 3000) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  char buffer[8192];
  while (got.find(needle) == std::string::npos && Clock::now() < deadline) {
    if (!socket.poll(Poco::Timespan(0, 20'000), Poco::Net::Socket::SELECT_READ)) continue;
    const int n = socket.receiveBytes(buffer, sizeof buffer);
    if (n <= 0) return false;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got.find(needle) != std::string::npos;
}

Poco::Net::StreamSocket plainMember(const Poco::Net::SocketAddress& at, std::string& got,
                                    const std::string& expectWelcome) {
  Poco::Net::StreamSocket socket(at);
  socket.sendBytes("hi\n", 3);  // speaks first: no waiting to be taken for plain
  EXPECT_TRUE(readUntil(socket, got, expectWelcome)) << got;
  return socket;
}

}  // namespace

TEST(RoomServerHostile, WhatOneTcpClientSendsChangesNothingForOthers) {
  RoomLimits limits;
  limits.linesPerS = 1e6;
  limits.burstLines = 1e6;
  limits.queueLines = 64;
  RunningRoom room(TransportKind::kTcp, limits);
  const auto at = room.address();
  std::string watcherGot;
  auto watcher = plainMember(at, watcherGot, "* welcome, guest1");

  // A member that never reads, with the smallest receive buffer.
  Poco::Net::StreamSocket stuck(at.family());
  const int small = 1024;
  ::setsockopt(stuck.impl()->sockfd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  stuck.connect(at);
  stuck.sendBytes("hi\n", 3);
  // One that connects and says nothing, ever.
  Poco::Net::StreamSocket silent(at);
  // Random bytes (not a frame): a plain member whose words arrive escaped.
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(random() & 0xFF);
  noise[0] = 'x';
  noise += "\n";
  Poco::Net::StreamSocket noisy(at);
  noisy.sendBytes(noise.data(), static_cast<int>(noise.size()));
  // Something that starts like a frame and is not one: closed.
  Poco::Net::StreamSocket broken(at);
  const std::string badFrame = std::string("PG\x01\xEE", 4) + std::string(60, '\xAB');
  broken.sendBytes(badFrame.data(), static_cast<int>(badFrame.size()));
  // 10 KB lines, and a terminal's worst escape sequences.
  Poco::Net::StreamSocket shouter(at);
  const std::string longLine = std::string(10'000, 'A') + "\n";
  for (int i = 0; i < 3; ++i) shouter.sendBytes(longLine.data(), static_cast<int>(longLine.size()));
  const std::string escapes = "\x1b[2J\x1b]0;owned\x07\x1b[31mred\r\n";
  shouter.sendBytes(escapes.data(), static_cast<int>(escapes.size()));

  // A talker floods the room; the watcher must get every line, in order.
  std::string talkerGot;
  auto talker = plainMember(at, talkerGot, "* welcome,");
  std::string lines;
  constexpr int kLines = 2000;
  for (int i = 0; i < kLines; ++i)
    lines += "line " + std::to_string(i) + " " + std::string(100, 'z') + "\n";
  talker.sendBytes(lines.data(), static_cast<int>(lines.size()));
  ASSERT_TRUE(readUntil(watcher, watcherGot, "line " + std::to_string(kLines - 1) + " ", 10'000))
      << watcherGot.substr(watcherGot.size() > 2000 ? watcherGot.size() - 2000 : 0);
  std::size_t at0 = 0;
  for (int i = 0; i < kLines; ++i) {
    at0 = watcherGot.find(": line " + std::to_string(i) + " ", at0);
    ASSERT_NE(at0, std::string::npos) << "line " << i << " missing";
  }
  EXPECT_EQ(watcherGot.find("dropped"), std::string::npos);
  EXPECT_EQ(watcherGot.find('\x1b'), std::string::npos);  // shown as \e, never raw
  EXPECT_EQ(watcherGot.find('\a'), std::string::npos);
  EXPECT_NE(watcherGot.find("\\e[2J"), std::string::npos);

  // The broken frame closed its connection; the room goes on.
  std::string brokenGot;
  EXPECT_FALSE(readUntil(broken, brokenGot, "never", 2000));
  const auto c = room.server().counters();
  EXPECT_EQ(c.malformed, 1u);
  EXPECT_EQ(c.tooLong, 3u);
  // The silent one is taken for a person at nc after 300 ms.
  ASSERT_TRUE(readUntil(watcher, watcherGot, "* guest6 joined"))
      << watcherGot.substr(watcherGot.size() - 300);
  watcher.sendBytes("/who\n", 5);
  EXPECT_TRUE(readUntil(watcher, watcherGot, "* here (6): "))
      << watcherGot.substr(watcherGot.size() - 300);
}

TEST(RoomServerHostile, RandomDatagramsAndAFloodOfSourcesLeaveUdpMembersTheirRoom) {
  RoomLimits limits;
  limits.maxMembersPerAddress = 8;
  RunningRoom room(TransportKind::kUdp, limits);
  const auto at = room.address();
  Poco::Net::DatagramSocket watcher(Poco::Net::SocketAddress("127.0.0.1", 0), false);
  watcher.sendTo("hi\n", 3, at);
  watcher.setReceiveTimeout(Poco::Timespan(2, 0));
  char buffer[2048];
  Poco::Net::SocketAddress from;
  const int n = watcher.receiveFrom(buffer, sizeof buffer, from);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buffer, static_cast<std::size_t>(n)).find("* welcome, guest1"),
            std::string::npos);
  // 50 sources from one address: 7 more get in, the rest are refused.
  std::mt19937 random(11);
  std::vector<std::unique_ptr<Poco::Net::DatagramSocket>> flood;
  for (int i = 0; i < 50; ++i) {
    flood.push_back(std::make_unique<Poco::Net::DatagramSocket>(
        Poco::Net::SocketAddress("127.0.0.1", 0), false));
    std::string junk(1 + random() % 1400, '\0');
    for (auto& c : junk) c = static_cast<char>(random() & 0xFF);
    if (i % 2 == 0) junk.replace(0, 3, "PG\x01");  // looks like a frame, is not one
    flood.back()->sendTo(junk.data(), static_cast<int>(junk.size()), at);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < deadline &&
         room.server().counters().refused + room.server().counters().malformed < 43) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto c = room.server().counters();
  EXPECT_LE(room.server().members(), 8u);
  EXPECT_GE(c.malformed, 1u);
  EXPECT_GE(c.refused, 1u);
  // The watcher is still in and still hears the room.
  watcher.sendTo("/who\n", 5, at);
  bool heard = false;
  for (int i = 0; i < 50 && !heard; ++i) {
    const int got = watcher.receiveFrom(buffer, sizeof buffer, from);
    heard = got > 0 && std::string(buffer, static_cast<std::size_t>(got)).find("* here (") == 0;
  }
  EXPECT_TRUE(heard);
}

namespace {

pigeon::wire::Bytes roomFrame(pigeon::wire::MessageType type, std::uint32_t stream,
                              std::uint64_t sequence, pigeon::wire::ByteSpan payload) {
  pigeon::wire::Header header;
  header.type = type;
  header.streamId = stream;
  header.sequence = sequence;
  return pigeon::wire::encode(header, payload);
}

void sendBytes(Poco::Net::DatagramSocket& from, const pigeon::wire::Bytes& bytes,
               const Poco::Net::SocketAddress& to) {
  from.sendTo(bytes.data(), static_cast<int>(bytes.size()), to);
}

}  // namespace

TEST(RoomServerHostile, PackedFramesFromAUdpMemberReachNoOneAndLinesWaitingTogetherArePacked) {
  using pigeon::chat::RoomPack;
  using pigeon::wire::MessageType;
  RoomLimits limits;
  limits.linesPerS = 1e6;
  limits.burstLines = 1e6;
  RunningRoom room(TransportKind::kUdp, limits);
  const auto at = room.address();
  Poco::Net::DatagramSocket watcher(Poco::Net::SocketAddress("127.0.0.1", 0), false);
  sendBytes(watcher, roomFrame(MessageType::kHello, 0, 0, pigeon::wire::asBytes("watcher")), at);
  Poco::Net::DatagramSocket mallory(Poco::Net::SocketAddress("127.0.0.1", 0), false);
  sendBytes(mallory, roomFrame(MessageType::kHello, 0, 0, pigeon::wire::asBytes("mallory")), at);

  // Packs are the room's to send: from a member, a good one, a truncated
  // one and one whose line is longer than the pack; a broken outer frame.
  pigeon::wire::Bytes forged;
  RoomPack::appendLine(0, pigeon::wire::asBytes("forged 1"), forged);
  RoomPack::appendLine(1, pigeon::wire::asBytes("forged 2"), forged);
  sendBytes(mallory, roomFrame(MessageType::kData, RoomPack::kStream, 0, forged), at);
  const pigeon::wire::ByteSpan half(forged.data(), forged.size() - 5);
  sendBytes(mallory, roomFrame(MessageType::kData, RoomPack::kStream, 1, half), at);
  pigeon::wire::Bytes pastTheEnd = forged;
  pigeon::wire::putU32(pastTheEnd.data() + 8, 5000);
  sendBytes(mallory, roomFrame(MessageType::kData, RoomPack::kStream, 2, pastTheEnd), at);
  pigeon::wire::Bytes brokenOuter = roomFrame(MessageType::kData, RoomPack::kStream, 3, forged);
  brokenOuter.resize(brokenOuter.size() - 3);
  sendBytes(mallory, brokenOuter, at);

  // A plain member says 20 lines in one datagram: the room hears them at
  // once, so they wait together for the watcher and go in one pack.
  Poco::Net::DatagramSocket plain(Poco::Net::SocketAddress("127.0.0.1", 0), false);
  std::string said;
  for (int i = 0; i < 20; ++i) said += "p" + std::to_string(i) + "\n";
  plain.sendTo(said.data(), static_cast<int>(said.size()), at);

  watcher.setReceiveTimeout(Poco::Timespan(0, 100'000));
  std::vector<std::string> lines;
  std::uint64_t next = 0;
  int gaps = 0;
  int datagramsWithPlainLines = 0;
  std::vector<pigeon::wire::Frame> unpacked;
  char buffer[2048];
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < deadline && (lines.empty() || lines.back() != "guest1: p19")) {
    Poco::Net::SocketAddress from;
    int n = 0;
    try {
      n = watcher.receiveFrom(buffer, sizeof buffer, from);
    } catch (const Poco::TimeoutException&) {
      continue;
    }
    const auto decoded = pigeon::wire::decodeDatagram(
        {reinterpret_cast<std::uint8_t*>(buffer), static_cast<std::size_t>(n)});
    ASSERT_TRUE(decoded.ok());
    if (decoded.frame.header.type != MessageType::kData) continue;
    unpacked.assign(1, decoded.frame);
    if (decoded.frame.header.streamId == RoomPack::kStream) {
      ASSERT_EQ(RoomPack::unpack(decoded.frame.payload, unpacked),
                pigeon::wire::DecodeError::kNone);
    }
    bool plainLine = false;
    for (const auto& line : unpacked) {
      gaps += line.header.sequence != next;
      next = line.header.sequence + 1;
      lines.emplace_back(line.payload.begin(), line.payload.end());
      plainLine = plainLine || lines.back().rfind("guest1: p", 0) == 0;
    }
    datagramsWithPlainLines += plainLine;
  }
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "guest1: p19");
  EXPECT_EQ(gaps, 0);
  EXPECT_LE(datagramsWithPlainLines, 2);
  for (const auto& line : lines) EXPECT_EQ(line.find("forged"), std::string::npos) << line;
  // The broken outer frame. The serving thread publishes its counters every
  // few ms, so the last lines can reach the watcher before the count does.
  const auto published = Clock::now() + std::chrono::seconds(1);
  while (Clock::now() < published && room.server().counters().malformed == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(room.server().counters().malformed, 1u);
}
