// ChatSession driven through a scripted transport: no sockets, no threads.

#include "chat/ChatSession.h"

#include "chat/RoomPack.h"
#include "transport/TransportError.h"
#include "wire/Codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

using pigeon::chat::ChatOutput;
using pigeon::chat::ChatSession;
using pigeon::chat::ChatSettings;
using pigeon::transport::Incoming;
using pigeon::transport::PeerKind;
using pigeon::wire::MessageType;

namespace {

// Hands out scripted arrivals; records what is sent. After the script it
// reports kClosed so runReceiver() ends.
class ScriptedTransport : public pigeon::transport::Transport {
 public:
  std::deque<Incoming> script;
  std::vector<std::pair<MessageType, std::string>> sentFrames;
  std::vector<std::string> sentPlain;
  PeerKind peer = PeerKind::kPigeon;

  void sendMessage(const pigeon::wire::Header& h, pigeon::wire::ByteSpan payload) override {
    if (payload.size() > maxPayload()) {
      throw pigeon::transport::TransportError(
          pigeon::transport::TransportError::Code::kMessageTooLong, "message too long");
    }
    sentFrames.emplace_back(h.type, std::string(payload.begin(), payload.end()));
  }
  void sendPlain(pigeon::wire::ByteSpan bytes) override {
    sentPlain.emplace_back(bytes.begin(), bytes.end());
  }
  Incoming receive(Poco::Timespan) override {
    if (script.empty()) {
      Incoming closed;
      closed.kind = Incoming::Kind::kClosed;
      return closed;
    }
    Incoming next = script.front();
    script.pop_front();
    return next;
  }
  bool hasPeer() const override { return true; }
  Poco::Net::SocketAddress peerAddress() const override { return {"127.0.0.1", 4242}; }
  Poco::Net::SocketAddress localAddress() const override { return {"127.0.0.1", 4343}; }
  PeerKind peerKind() const override { return peer; }
  std::size_t maxPayload() const override { return 100; }
  pigeon::transport::TransportKind kind() const override {
    return pigeon::transport::TransportKind::kUdp;
  }
  void close() override {}
};

struct Recorder : ChatOutput {
  std::vector<std::string> messages;
  std::vector<std::string> statuses;
  void message(const std::string& line) override { messages.push_back(line); }
  void status(const std::string& line) override { statuses.push_back(line); }
};

Incoming frame(MessageType type, std::uint64_t sequence, const std::string& payload) {
  Incoming in;
  in.kind = Incoming::Kind::kMessage;
  in.header.type = type;
  in.header.streamId = ChatSession::kChatStream;
  in.header.sequence = sequence;
  in.payload.assign(payload.begin(), payload.end());
  in.from = Poco::Net::SocketAddress("127.0.0.1", 4242);
  return in;
}

Incoming plain(const std::string& bytes) {
  Incoming in;
  in.kind = Incoming::Kind::kPlain;
  in.payload.assign(bytes.begin(), bytes.end());
  return in;
}

}  // namespace

TEST(ChatSession, ShowsGapsReorderingAndDuplicatesNextToTheMessage) {
  ScriptedTransport t;
  t.script = {frame(MessageType::kHello, 0, "dave"), frame(MessageType::kData, 0, "a"),
              frame(MessageType::kData, 3, "d"), frame(MessageType::kData, 1, "b"),
              frame(MessageType::kData, 1, "b")};
  Recorder out;
  ChatSession session(t, ChatSettings{}, out);
  session.runReceiver();
  ASSERT_EQ(out.messages.size(), 4u);
  EXPECT_EQ(out.messages[0], "dave: a");
  EXPECT_EQ(out.messages[1], "dave: d  [2 messages missing before this]");
  EXPECT_EQ(out.messages[2], "dave: b  [out of order: 2 behind the newest]");
  EXPECT_EQ(out.messages[3], "dave: b  [duplicate]");
}

TEST(ChatSession, AnswersAGreetingWithItsOwnNameOnce) {
  ScriptedTransport t;
  t.script = {frame(MessageType::kHello, 0, "dave"), frame(MessageType::kHello, 0, "dave")};
  Recorder out;
  ChatSettings settings;
  settings.nick = "alice";
  ChatSession session(t, settings, out);
  session.runReceiver();
  ASSERT_EQ(t.sentFrames.size(), 1u);
  EXPECT_EQ(t.sentFrames[0], std::make_pair(MessageType::kHello, std::string("alice")));
}

TEST(ChatSession, APeersGoodbyeEndsTheSession) {
  ScriptedTransport t;
  t.script = {frame(MessageType::kHello, 0, "dave"),
              frame(MessageType::kBye, 0, std::string(8, '\0')),
              frame(MessageType::kData, 0, "after bye")};
  Recorder out;
  ChatSession session(t, ChatSettings{}, out);
  session.runReceiver();
  EXPECT_TRUE(session.peerLeft());
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(out.statuses.back(), "* dave left");
}

TEST(ChatSession, ShowsEachPlainChunkAtOnceLineByLine) {
  ScriptedTransport t;
  t.peer = PeerKind::kPlain;
  t.script = {plain("no newline"), plain("two\r\nlines\n")};
  Recorder out;
  ChatSession session(t, ChatSettings{}, out);
  session.runReceiver();
  ASSERT_EQ(out.messages.size(), 3u);
  EXPECT_EQ(out.messages[0], "127.0.0.1:4242: no newline");
  EXPECT_EQ(out.messages[1], "127.0.0.1:4242: two");
  EXPECT_EQ(out.messages[2], "127.0.0.1:4242: lines");
}

TEST(ChatSession, AHostileNicknameIsMadeSafeAndShort) {
  ScriptedTransport t;
  t.script = {frame(MessageType::kHello, 0, "\x1b[31mmallory" + std::string(100, 'x')),
              frame(MessageType::kData, 0, "hi")};
  Recorder out;
  ChatSession session(t, ChatSettings{}, out);
  session.runReceiver();
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0].rfind("\\e[31mmallory", 0), 0u) << out.messages[0];
  EXPECT_LT(out.messages[0].size(), 50u);
}

TEST(ChatSession, SendsFramesToAPigeonAndPlainTextToAPlainPeer) {
  ScriptedTransport pigeon;
  Recorder out;
  ChatSession framed(pigeon, ChatSettings{}, out);
  EXPECT_EQ(framed.sendLine("hello"), ChatSession::LineResult::kSent);
  ASSERT_EQ(pigeon.sentFrames.size(), 2u);  // a greeting first, then the line
  EXPECT_EQ(pigeon.sentFrames[0].first, MessageType::kHello);
  EXPECT_EQ(pigeon.sentFrames[1], std::make_pair(MessageType::kData, std::string("hello")));

  ScriptedTransport nc;
  nc.peer = PeerKind::kPlain;
  ChatSession plainSession(nc, ChatSettings{}, out);
  EXPECT_EQ(plainSession.sendLine("hello"), ChatSession::LineResult::kSent);
  EXPECT_TRUE(nc.sentFrames.empty());
  ASSERT_EQ(nc.sentPlain.size(), 1u);
  EXPECT_EQ(nc.sentPlain[0], "hello\n");
}

TEST(ChatSession, QuitSaysGoodbyeAndATooLongLineIsRejected) {
  ScriptedTransport t;
  Recorder out;
  ChatSession session(t, ChatSettings{}, out);
  EXPECT_EQ(session.sendLine(std::string(101, 'x')), ChatSession::LineResult::kRejected);
  EXPECT_NE(out.statuses.back().find("message too long"), std::string::npos);
  EXPECT_EQ(session.sendLine("/quit"), ChatSession::LineResult::kQuit);
  EXPECT_EQ(t.sentFrames.back().first, MessageType::kBye);
  session.leave();  // no second goodbye
  EXPECT_EQ(std::count_if(t.sentFrames.begin(), t.sentFrames.end(),
                          [](const auto& f) { return f.first == MessageType::kBye; }),
            1);
}

TEST(ChatSession, AGoodbyeTellsWhichOfTheLastMessagesNeverArrived) {
  ScriptedTransport t;
  t.script = {frame(MessageType::kHello, 0, "dave"), frame(MessageType::kData, 0, "a"),
              frame(MessageType::kData, 1, "b"),
              frame(MessageType::kBye, 0, std::string(7, '\0') + '\x04')};
  Recorder out;
  ChatSession session(t, ChatSettings{}, out);
  session.runReceiver();
  EXPECT_EQ(out.statuses.back(), "* dave left (2 messages of 4 never arrived)");
}

TEST(ChatSession, NewlinesFromAPeerCannotForgeLinesOfTheirOwn) {
  ScriptedTransport t;
  t.script = {frame(MessageType::kHello, 0, "ev\nil"),
              frame(MessageType::kData, 0, "hi\n* alice left")};
  Recorder out;
  ChatSession session(t, ChatSettings{}, out);
  session.runReceiver();
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0], "ev\\nil: hi\\n* alice left");
}

TEST(ChatSession, ALineFromAListenerToASilentPeerIsPlainAndSoIsItsGoodbye) {
  ScriptedTransport t;
  t.peer = PeerKind::kUnknown;
  ChatSettings settings;
  settings.listening = true;
  settings.greetingWait = Poco::Timespan(0, 1000);
  Recorder out;
  ChatSession session(t, settings, out);
  EXPECT_EQ(session.sendLine("welcome"), ChatSession::LineResult::kSent);
  session.leave();
  EXPECT_TRUE(t.sentFrames.empty());
  ASSERT_EQ(t.sentPlain.size(), 1u);
  EXPECT_EQ(t.sentPlain[0], "welcome\n");
}

namespace {

// A room's datagram holding several lines (chat::RoomPack).
Incoming pack(const std::vector<std::pair<std::uint64_t, std::string>>& lines) {
  pigeon::wire::Bytes payload;
  for (const auto& [sequence, text] : lines) {
    pigeon::chat::RoomPack::appendLine(sequence, pigeon::wire::asBytes(text), payload);
  }
  Incoming in = frame(MessageType::kData, 0, "");
  in.header.streamId = pigeon::chat::RoomPack::kStream;
  in.payload = payload;
  return in;
}

}  // namespace

TEST(ChatSession, ARoomMemberMarksEachLineOfAPackLostDuplicatedOrReordered) {
  ScriptedTransport t;
  t.script = {frame(MessageType::kHello, 0, "room"), pack({{0, "a: 0"}, {2, "a: 2"}}),
              pack({{2, "a: 2"}, {4, "a: 4"}}), frame(MessageType::kData, 1, "a: 1"),
              frame(MessageType::kBye, 0, std::string("\0\0\0\0\0\0\0\x06", 8))};
  Recorder out;
  ChatSettings settings;
  settings.room = true;
  ChatSession session(t, settings, out);
  session.runReceiver();
  ASSERT_EQ(out.messages.size(), 5u);
  EXPECT_EQ(out.messages[0], "a: 0");
  EXPECT_EQ(out.messages[1], "a: 2  [1 message missing before this]");
  EXPECT_EQ(out.messages[2], "a: 2  [duplicate]");
  EXPECT_EQ(out.messages[3], "a: 4  [1 message missing before this]");
  EXPECT_EQ(out.messages[4], "a: 1  [out of order: 3 behind the newest]");
  EXPECT_EQ(out.statuses.back(), "* the room closed (2 messages of 6 never arrived)");
}

TEST(ChatSession, AHostilePackIsDroppedWholeAndMovesNothing) {
  ScriptedTransport t;
  Incoming truncated = pack({{0, "a: 0"}, {1, "a: 1"}});
  truncated.payload.pop_back();
  Incoming pastTheEnd = pack({{50, "a: forged"}, {51, "a: 51"}});
  pigeon::wire::putU32(pastTheEnd.payload.data() + 8, 40);  // the first line's length
  Incoming nested = pack({{0, "x"}});
  nested.payload = pack({{0, "a: inner"}}).payload;
  {
    pigeon::wire::Header outer;
    outer.streamId = pigeon::chat::RoomPack::kStream;
    pigeon::wire::Bytes wrapped;
    pigeon::wire::appendFrame(outer, nested.payload, wrapped);
    nested.payload = wrapped;
  }
  t.script = {frame(MessageType::kHello, 0, "room"), truncated, pastTheEnd, nested,
              frame(MessageType::kData, 0, "a: 0")};
  Recorder out;
  ChatSettings settings;
  settings.room = true;
  ChatSession session(t, settings, out);
  session.runReceiver();
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0], "a: 0");  // in order: no bad pack moved the count
  int dropped = 0;
  for (const auto& s : out.statuses) dropped += s.rfind("* dropped a malformed message", 0) == 0;
  EXPECT_EQ(dropped, 3);
}
