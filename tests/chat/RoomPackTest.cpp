// Room lines packed in one datagram: cut back into lines by the frame
// decoder, all or nothing, whatever a hostile sender puts in the pack.

#include "chat/RoomPack.h"

#include "wire/Codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using pigeon::chat::RoomPack;
using pigeon::wire::Bytes;
using pigeon::wire::DecodeError;
using pigeon::wire::Frame;

namespace {

Bytes packOf(const std::vector<std::pair<std::uint64_t, std::string>>& lines) {
  Bytes payload;
  for (const auto& [sequence, text] : lines) {
    RoomPack::appendLine(sequence, pigeon::wire::asBytes(text), payload);
  }
  return payload;
}

std::string textOf(const Frame& f) { return std::string(f.payload.begin(), f.payload.end()); }

}  // namespace

TEST(RoomPack, CutsAPackIntoItsLinesEachWithItsOwnNumber) {
  const Bytes payload = packOf({{4, "alice: one"}, {5, ""}, {7, "bob: three"}});
  EXPECT_EQ(payload.size(), RoomPack::lineBytes(10) * 2 + RoomPack::lineBytes(0));
  std::vector<Frame> lines;
  ASSERT_EQ(RoomPack::unpack(payload, lines), DecodeError::kNone);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].header.sequence, 4u);
  EXPECT_EQ(textOf(lines[0]), "alice: one");
  EXPECT_EQ(lines[1].header.sequence, 5u);
  EXPECT_EQ(textOf(lines[1]), "");
  EXPECT_EQ(lines[2].header.sequence, 7u);
  EXPECT_EQ(lines[2].header.streamId, RoomPack::kLineStream);
  EXPECT_EQ(textOf(lines[2]), "bob: three");
}

TEST(RoomPack, AHostilePackGivesAnErrorAndNoLineAtAll) {
  const Bytes good = packOf({{0, "first"}, {1, "second"}});
  std::vector<Frame> lines;

  // Cut anywhere inside the last frame: its header or its text is missing.
  for (std::size_t cut = 1; cut < RoomPack::lineBytes(6); ++cut) {
    const Bytes truncated(good.begin(), good.end() - static_cast<std::ptrdiff_t>(cut));
    EXPECT_NE(RoomPack::unpack(truncated, lines), DecodeError::kNone) << cut;
    EXPECT_TRUE(lines.empty()) << cut;
  }

  // The last frame's length says more than the pack holds.
  Bytes pastTheEnd = good;
  pigeon::wire::putU32(pastTheEnd.data() + RoomPack::lineBytes(5) + 8, 1000);
  EXPECT_EQ(RoomPack::unpack(pastTheEnd, lines), DecodeError::kLengthExceedsBuffer);
  EXPECT_TRUE(lines.empty());
  pigeon::wire::putU32(pastTheEnd.data() + RoomPack::lineBytes(5) + 8, 0xFFFFFFFF);
  EXPECT_EQ(RoomPack::unpack(pastTheEnd, lines), DecodeError::kLengthTooLarge);

  // Bytes after the last frame that are not a frame.
  Bytes trailing = good;
  trailing.push_back('x');
  EXPECT_EQ(RoomPack::unpack(trailing, lines), DecodeError::kTruncatedHeader);
  EXPECT_TRUE(lines.empty());

  // A control frame or a pack inside a pack; an empty pack.
  Bytes control = good;
  pigeon::wire::Header bye;
  bye.type = pigeon::wire::MessageType::kBye;
  pigeon::wire::appendFrame(bye, Bytes(8), control);
  EXPECT_EQ(RoomPack::unpack(control, lines), DecodeError::kUnknownType);
  Bytes nested = good;
  pigeon::wire::Header pack;
  pack.streamId = RoomPack::kStream;
  pigeon::wire::appendFrame(pack, good, nested);
  EXPECT_EQ(RoomPack::unpack(nested, lines), DecodeError::kUnknownType);
  EXPECT_TRUE(lines.empty());
  EXPECT_EQ(RoomPack::unpack({}, lines), DecodeError::kTruncatedHeader);

  // A bad checksum on one line spoils the pack.
  Bytes withCrc;
  pigeon::wire::Header line;
  line.flags = pigeon::wire::flags::kCrc;
  line.streamId = RoomPack::kLineStream;
  pigeon::wire::appendFrame(line, pigeon::wire::asBytes("hi"), withCrc);
  ASSERT_EQ(RoomPack::unpack(withCrc, lines), DecodeError::kNone);
  withCrc[32] ^= 1;
  EXPECT_EQ(RoomPack::unpack(withCrc, lines), DecodeError::kBadChecksum);
  EXPECT_TRUE(lines.empty());
}
