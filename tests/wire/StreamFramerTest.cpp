#include "wire/StreamFramer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using namespace pigeon::wire;
using Status = StreamFramer::Status;

namespace {

Header dataHeader(std::uint64_t sequence, std::uint16_t flagBits = 0) {
  Header h;
  h.type = MessageType::kData;
  h.flags = flagBits;
  h.streamId = 3;
  h.sequence = sequence;
  h.sendTimeNs = 1000 + sequence;
  return h;
}

struct Got {
  std::uint64_t sequence;
  std::string payload;
};

// Takes every whole frame the framer holds; fails the test on an error.
void drain(StreamFramer& framer, std::vector<Got>& got) {
  for (int guard = 0; guard < 100000; ++guard) {
    const auto r = framer.next();
    if (r.status == Status::kNeedMore) return;
    ASSERT_EQ(r.status, Status::kFrame) << describe(r.error);
    got.push_back(
        {r.frame.header.sequence, std::string(r.frame.payload.begin(), r.frame.payload.end())});
  }
  FAIL() << "framer never ran dry";
}

// Several frames back to back, some with a CRC trailer, one empty.
Bytes sampleStream(std::vector<Got>& expected) {
  Bytes stream;
  const std::vector<std::string> payloads = {"hello", "", "a longer message, with more bytes",
                                             std::string(300, 'z'), "x"};
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    appendFrame(dataHeader(i, (i % 2) ? flags::kCrc : 0), asBytes(payloads[i]), stream);
    expected.push_back({i, payloads[i]});
  }
  return stream;
}

// 300 frames with payloads of up to `maxPayload` - 1 bytes, about half of
// them with a CRC trailer.
Bytes randomStream(std::mt19937_64& rng, std::size_t maxPayload, std::vector<Got>& expected) {
  Bytes stream;
  for (std::uint64_t i = 0; i < 300; ++i) {
    std::string payload(rng() % maxPayload, static_cast<char>('a' + i % 26));
    appendFrame(dataHeader(i, (rng() & 1) ? flags::kCrc : 0), asBytes(payload), stream);
    expected.push_back({i, payload});
  }
  return stream;
}

void expectSame(const std::vector<Got>& got, const std::vector<Got>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].sequence, expected[i].sequence);
    EXPECT_EQ(got[i].payload, expected[i].payload);
  }
}

// A 32-byte header whose length field says `length`.
Bytes headerClaiming(std::uint32_t length) {
  Bytes bytes = encode(dataHeader(0), {});
  putU32(bytes.data() + 8, length);
  return bytes;
}

}  // namespace

TEST(StreamFramer, NeedsMoreWhenEmpty) {
  StreamFramer framer;
  EXPECT_EQ(framer.next().status, Status::kNeedMore);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(StreamFramer, ReassemblesFramesFedOneByteAtATime) {
  std::vector<Got> expected;
  const Bytes stream = sampleStream(expected);
  StreamFramer framer;
  std::vector<Got> got;
  for (std::uint8_t b : stream) {
    framer.append(ByteSpan(&b, 1));
    drain(framer, got);
  }
  expectSame(got, expected);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(StreamFramer, CutsManyFramesOutOfOneAppend) {
  Bytes stream;
  for (std::uint64_t i = 0; i < 500; ++i) {
    appendFrame(dataHeader(i), asBytes("m" + std::to_string(i)), stream);
  }
  StreamFramer framer;
  framer.append(stream);
  std::vector<Got> got;
  drain(framer, got);
  ASSERT_EQ(got.size(), 500u);
  for (std::uint64_t i = 0; i < 500; ++i) {
    EXPECT_EQ(got[i].sequence, i);
    EXPECT_EQ(got[i].payload, "m" + std::to_string(i));
  }
}

TEST(StreamFramer, ReassemblesAFrameSplitAcrossAppendsAtEveryPoint) {
  std::vector<Got> expected;
  const Bytes stream = sampleStream(expected);
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    StreamFramer framer;
    std::vector<Got> got;
    framer.append(ByteSpan(stream).first(split));
    drain(framer, got);
    framer.append(ByteSpan(stream).subspan(split));
    drain(framer, got);
    ASSERT_NO_FATAL_FAILURE(expectSame(got, expected)) << "split at " << split;
  }
}

TEST(StreamFramer, ReassemblesAHeaderSplitAcrossReads) {
  const Bytes frame = encode(dataHeader(9), asBytes("payload"));
  StreamFramer framer;
  framer.append(ByteSpan(frame).first(10));
  EXPECT_EQ(framer.next().status, Status::kNeedMore);
  framer.append(ByteSpan(frame).subspan(10, 15));
  EXPECT_EQ(framer.next().status, Status::kNeedMore);
  framer.append(ByteSpan(frame).subspan(25));
  const auto r = framer.next();
  ASSERT_EQ(r.status, Status::kFrame);
  EXPECT_EQ(r.frame.header.sequence, 9u);
}

TEST(StreamFramer, SurvivesRandomSplitsOfALongStream) {
  std::mt19937_64 rng(31337);
  std::vector<Got> expected;
  const Bytes stream = randomStream(rng, 200, expected);
  StreamFramer framer;
  std::vector<Got> got;
  for (std::size_t pos = 0; pos < stream.size();) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 100, stream.size() - pos);
    framer.append(ByteSpan(stream).subspan(pos, n));
    pos += n;
    drain(framer, got);
  }
  expectSame(got, expected);
}

TEST(StreamFramer, RejectsABadLengthAsSoonAsTheHeaderIsIn) {
  StreamFramer framer;
  const Bytes header = headerClaiming(static_cast<std::uint32_t>(kMaxStreamPayload + 1));
  framer.append(ByteSpan(header).first(kHeaderSize - 1));
  EXPECT_EQ(framer.next().status, Status::kNeedMore);
  framer.append(ByteSpan(header).subspan(kHeaderSize - 1));
  const auto r = framer.next();  // no payload byte has arrived
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, DecodeError::kLengthTooLarge);
}

TEST(StreamFramer, RejectsALengthAboveItsOwnMaximum) {
  StreamFramer framer(100);
  framer.append(headerClaiming(101));
  EXPECT_EQ(framer.next().error, DecodeError::kLengthTooLarge);

  StreamFramer roomy(100);
  roomy.append(headerClaiming(100));
  EXPECT_EQ(roomy.next().status, Status::kNeedMore);  // waits for its 100 bytes
}

TEST(StreamFramer, AcceptsTheLargestStreamPayload) {
  const Bytes payload(kMaxStreamPayload, 0x42);
  StreamFramer framer;
  framer.append(encode(dataHeader(1, flags::kCrc), payload));
  const auto r = framer.next();
  ASSERT_EQ(r.status, Status::kFrame) << describe(r.error);
  EXPECT_EQ(r.frame.payload.size(), kMaxStreamPayload);
}

TEST(StreamFramer, RejectsABadFirstByteAtOnce) {
  StreamFramer framer;
  framer.append(asBytes("h"));
  const auto r = framer.next();
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, DecodeError::kBadMagic);
}

TEST(StreamFramer, RejectsABadSecondOrThirdByteAtOnce) {
  StreamFramer badMagic;
  badMagic.append(asBytes("P"));
  EXPECT_EQ(badMagic.next().status, Status::kNeedMore);
  badMagic.append(asBytes("X"));
  EXPECT_EQ(badMagic.next().error, DecodeError::kBadMagic);

  StreamFramer badVersion;
  badVersion.append(asBytes("PG"));
  EXPECT_EQ(badVersion.next().status, Status::kNeedMore);
  badVersion.append(asBytes("\x07"));
  EXPECT_EQ(badVersion.next().error, DecodeError::kUnsupportedVersion);
}

TEST(StreamFramer, RejectsEachBadHeaderField) {
  auto errorFor = [](std::size_t offset, std::uint8_t value) {
    Bytes frame = encode(dataHeader(0), asBytes("abc"));
    frame[offset] = value;
    StreamFramer framer;
    framer.append(frame);
    return framer.next().error;
  };
  EXPECT_EQ(errorFor(3, 0), DecodeError::kUnknownType);
  EXPECT_EQ(errorFor(4, 0x80), DecodeError::kUnknownFlags);
  EXPECT_EQ(errorFor(7, 1), DecodeError::kBadReserved);

  Bytes bye = encode(dataHeader(0), asBytes("abc"));
  bye[3] = static_cast<std::uint8_t>(MessageType::kBye);
  StreamFramer framer;
  framer.append(bye);
  EXPECT_EQ(framer.next().error, DecodeError::kBadPayloadSize);
}

TEST(StreamFramer, RejectsABadChecksum) {
  Bytes frame = encode(dataHeader(0, flags::kCrc), asBytes("abc"));
  frame[kHeaderSize + 1] ^= 0x01;
  StreamFramer framer;
  framer.append(frame);
  EXPECT_EQ(framer.next().error, DecodeError::kBadChecksum);
}

TEST(StreamFramer, StopsAFloodOfEmptyFrames) {
  Bytes stream;
  for (std::size_t i = 0; i <= StreamFramer::kMaxEmptyFramesInARow; ++i) {
    appendFrame(dataHeader(i), {}, stream);
  }
  StreamFramer framer;
  framer.append(stream);
  for (std::size_t i = 0; i < StreamFramer::kMaxEmptyFramesInARow; ++i) {
    ASSERT_EQ(framer.next().status, Status::kFrame) << i;
  }
  const auto r = framer.next();
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error, DecodeError::kEmptyFrameFlood);
}

TEST(StreamFramer, AllowsOccasionalEmptyFrames) {
  // Many more empty frames in all than the flood limit, but never a long run.
  Bytes stream;
  std::size_t frames = 0;
  for (int run = 0; run < 5; ++run) {
    for (std::size_t i = 0; i < StreamFramer::kMaxEmptyFramesInARow; ++i, ++frames) {
      appendFrame(dataHeader(frames), {}, stream);
    }
    appendFrame(dataHeader(frames++), asBytes("x"), stream);
  }
  StreamFramer framer;
  framer.append(stream);
  std::vector<Got> got;
  drain(framer, got);
  EXPECT_EQ(got.size(), frames);
}

TEST(StreamFramer, StaysFailedAfterAnError) {
  StreamFramer framer;
  framer.append(asBytes("GET / HTTP/1.0\r\n"));
  EXPECT_EQ(framer.next().error, DecodeError::kBadMagic);
  framer.append(encode(dataHeader(1), asBytes("valid")));
  for (int i = 0; i < 3; ++i) {
    const auto r = framer.next();
    EXPECT_EQ(r.status, Status::kError);
    EXPECT_EQ(r.error, DecodeError::kBadMagic);
  }
}

// A socket read lands in the framer's own room (TcpTransport): it asks
// for more room than the read fills, as a read of 64 KiB that brings less
// does, and the frames come out as from append().
TEST(StreamFramer, TakesReadsIntoItsOwnRoomInRandomSplits) {
  std::mt19937_64 rng(4242);
  std::vector<Got> expected;
  const Bytes stream = randomStream(rng, 3000, expected);
  StreamFramer framer;
  std::vector<Got> got;
  for (std::size_t pos = 0; pos < stream.size();) {
    const std::size_t room = 1 + rng() % 5000;
    const std::size_t n = std::min<std::size_t>(rng() % (room + 1), stream.size() - pos);
    const std::span<std::uint8_t> tail = framer.reserveTail(room);
    ASSERT_EQ(tail.size(), room);
    std::fill(tail.begin(), tail.end(), std::uint8_t{0xEE});  // what a short read leaves
    std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(pos), n, tail.begin());
    framer.commitTail(n);
    pos += n;
    drain(framer, got);
  }
  expectSame(got, expected);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(StreamFramer, HandsBackTheBytesNotYetFramed) {
  const Bytes first = encode(dataHeader(1), asBytes("one"));
  const Bytes second = encode(dataHeader(2), asBytes("two"));
  StreamFramer framer;
  framer.append(first);
  framer.append(ByteSpan(second).first(5));
  EXPECT_EQ(framer.buffered(), first.size() + 5);
  ASSERT_EQ(framer.next().status, Status::kFrame);
  EXPECT_EQ(framer.buffered(), 5u);
  EXPECT_EQ(framer.takeBuffered(), Bytes(second.begin(), second.begin() + 5));
  EXPECT_EQ(framer.buffered(), 0u);
  EXPECT_EQ(framer.next().status, Status::kNeedMore);
}

TEST(StreamFramer, HandsBackALonePrefix) {
  StreamFramer framer;
  framer.append(asBytes("PG"));
  EXPECT_EQ(framer.next().status, Status::kNeedMore);
  EXPECT_EQ(framer.takeBuffered(), Bytes({'P', 'G'}));
}

TEST(StreamFramer, NeverCrashesOnMutatedStreams) {
  std::mt19937_64 rng(9002);
  for (int i = 0; i < 2000; ++i) {
    Bytes stream;
    for (int f = 0; f < 4; ++f) {
      appendFrame(dataHeader(static_cast<std::uint64_t>(f), (rng() & 1) ? flags::kCrc : 0),
                  Bytes(rng() % 40, 'p'), stream);
    }
    for (int m = 0; m < 3; ++m) stream[rng() % stream.size()] ^= static_cast<std::uint8_t>(rng());
    StreamFramer framer(1000);
    for (std::size_t pos = 0; pos < stream.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 50, stream.size() - pos);
      framer.append(Bytes(stream.begin() + static_cast<long>(pos),
                          stream.begin() + static_cast<long>(pos + n)));
      pos += n;
      for (int guard = 0; guard < 100; ++guard) {
        const auto r = framer.next();
        if (r.status != Status::kFrame) break;
        ASSERT_LE(r.frame.payload.size(), 1000u);
      }
    }
  }
}
