#include "wire/Codec.h"
#include "wire/Crc32.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <set>
#include <string>

using namespace pigeon::wire;

namespace {

constexpr std::array kAllTypes = {
    MessageType::kData,        MessageType::kHello,         MessageType::kBye,
    MessageType::kReport,      MessageType::kEcho,          MessageType::kEchoReply,
    MessageType::kRudpConnect, MessageType::kRudpChallenge, MessageType::kRudpCookie,
    MessageType::kRudpAccept,  MessageType::kRudpData,      MessageType::kRudpAck,
    MessageType::kRudpClose,   MessageType::kRudpCloseAck,
};

Header dataHeader(std::uint16_t flagBits = 0) {
  Header h;
  h.type = MessageType::kData;
  h.flags = flagBits;
  h.streamId = 7;
  h.sequence = 1;
  h.sendTimeNs = 0x0102030405060708;
  return h;
}

// A valid frame's bytes, for tests that then break one field.
Bytes validFrame(std::string_view payload = "hi", std::uint16_t flagBits = 0) {
  return encode(dataHeader(flagBits), asBytes(payload));
}

DecodeError decodeCopy(const Bytes& bytes) {
  // An exact-size copy, so that ASan sees any read past the end.
  const Bytes exact(bytes.begin(), bytes.end());
  return decodeDatagram(exact).error;
}

// A random header with a payload size its type allows.
struct RandomFrame {
  Header header;
  Bytes payload;
};

RandomFrame randomFrame(std::mt19937_64& rng, std::size_t maxDataPayload) {
  RandomFrame f;
  f.header.type = kAllTypes[rng() % kAllTypes.size()];
  f.header.flags = (rng() & 1) ? flags::kCrc : 0;
  f.header.streamId = static_cast<std::uint32_t>(rng());
  f.header.sequence = rng();
  f.header.sendTimeNs = rng();
  const auto limits = payloadLimits(static_cast<std::uint8_t>(f.header.type));
  const std::size_t max = std::min(limits->max, maxDataPayload);
  const std::size_t size = limits->min + rng() % (max - limits->min + 1);
  f.payload.resize(size);
  for (auto& b : f.payload) b = static_cast<std::uint8_t>(rng());
  return f;
}

}  // namespace

TEST(Codec, EncodedSizeIsHeaderPlusPayloadPlusOptionalCrc) {
  EXPECT_EQ(encodedSize(0, false), kHeaderSize);
  EXPECT_EQ(encodedSize(10, false), kHeaderSize + 10);
  EXPECT_EQ(encodedSize(10, true), kHeaderSize + 10 + kCrcSize);
  EXPECT_EQ(encodedSize(kMaxDatagramPayload, true), kMaxDatagramSize);
  EXPECT_EQ(encode(dataHeader(), asBytes("hello")).size(), encodedSize(5, false));
  EXPECT_EQ(encode(dataHeader(flags::kCrc), asBytes("hello")).size(), encodedSize(5, true));
}

TEST(Codec, EncodesEveryFieldBigEndianAtItsOffset) {
  // The worked example of docs/protocol.md.
  const Bytes expected = {
      0x50, 0x47, 0x01, 0x01,                          // 'P' 'G', version 1, type data
      0x00, 0x00, 0x00, 0x00,                          // flags, reserved
      0x00, 0x00, 0x00, 0x02,                          // payload length 2
      0x00, 0x00, 0x00, 0x07,                          // stream id 7
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // sequence 1
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // send time
      'h',  'i',                                       // payload
  };
  EXPECT_EQ(validFrame("hi"), expected);
}

TEST(Codec, AppendsTheCrcOfHeaderAndPayloadWhenAsked) {
  const Bytes frame = validFrame("hi", flags::kCrc);
  ASSERT_EQ(frame.size(), kHeaderSize + 2 + kCrcSize);
  EXPECT_EQ(frame[5], 0x01);  // the CRC flag
  const std::uint32_t crc = crc32(ByteSpan(frame).first(kHeaderSize + 2));
  EXPECT_EQ(getU32(frame.data() + kHeaderSize + 2), crc);
  EXPECT_EQ(crc, 0x37E705A2u);  // as zlib.crc32 computes it (docs/protocol.md)
}

TEST(Codec, AppendFrameAddsToWhatIsAlreadyThere) {
  Bytes out = {0xAA};
  appendFrame(dataHeader(), asBytes("x"), out);
  ASSERT_EQ(out.size(), 1 + encodedSize(1, false));
  EXPECT_EQ(out[0], 0xAA);
  EXPECT_TRUE(decodeDatagram(ByteSpan(out).subspan(1)).ok());
}

TEST(Codec, RoundTripsManyRandomHeadersAndPayloads) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 3000; ++i) {
    const RandomFrame f = randomFrame(rng, 1500);
    const Bytes bytes = encode(f.header, f.payload);
    ASSERT_EQ(bytes.size(), encodedSize(f.payload.size(), f.header.hasCrc()));
    const DecodeResult r = decodeDatagram(bytes);
    ASSERT_TRUE(r.ok()) << describe(r.error) << " at iteration " << i;
    EXPECT_EQ(r.frame.header.type, f.header.type);
    EXPECT_EQ(r.frame.header.flags, f.header.flags);
    EXPECT_EQ(r.frame.header.payloadLength, f.payload.size());
    EXPECT_EQ(r.frame.header.streamId, f.header.streamId);
    EXPECT_EQ(r.frame.header.sequence, f.header.sequence);
    EXPECT_EQ(r.frame.header.sendTimeNs, f.header.sendTimeNs);
    EXPECT_EQ(Bytes(r.frame.payload.begin(), r.frame.payload.end()), f.payload);
  }
}

TEST(Codec, RoundTripsTheLargestDatagramPayloadWithAndWithoutCrc) {
  const Bytes payload(kMaxDatagramPayload, 0x5A);
  for (std::uint16_t f : {std::uint16_t{0}, flags::kCrc}) {
    const Bytes bytes = encode(dataHeader(f), payload);
    const DecodeResult r = decodeDatagram(bytes);
    ASSERT_TRUE(r.ok()) << describe(r.error);
    EXPECT_EQ(r.frame.payload.size(), kMaxDatagramPayload);
  }
}

TEST(Codec, PayloadPointsIntoTheDecodedBuffer) {
  const Bytes bytes = validFrame("abc");
  const DecodeResult r = decodeDatagram(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.frame.payload.data(), bytes.data() + kHeaderSize);
  EXPECT_EQ(r.frame.payload.size(), 3u);
}

TEST(Codec, RejectsATruncatedHeader) {
  const Bytes frame = validFrame("");
  for (std::size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_EQ(decodeCopy(Bytes(frame.begin(), frame.begin() + static_cast<long>(n))),
              DecodeError::kTruncatedHeader)
        << n << " bytes";
  }
}

TEST(Codec, RejectsAWrongMagic) {
  Bytes a = validFrame();
  a[0] = 'X';
  EXPECT_EQ(decodeCopy(a), DecodeError::kBadMagic);
  Bytes b = validFrame();
  b[1] = 'X';
  EXPECT_EQ(decodeCopy(b), DecodeError::kBadMagic);
}

TEST(Codec, RejectsAnUnknownVersion) {
  for (std::uint8_t v : {0, 2, 255}) {
    Bytes frame = validFrame();
    frame[2] = v;
    EXPECT_EQ(decodeCopy(frame), DecodeError::kUnsupportedVersion) << int(v);
  }
}

TEST(Codec, RejectsAnUnknownType) {
  for (int type = 0; type < 256; ++type) {
    Bytes frame = validFrame("");
    frame[3] = static_cast<std::uint8_t>(type);
    const bool known = payloadLimits(static_cast<std::uint8_t>(type)).has_value();
    const DecodeError e = decodeCopy(frame);
    if (known) {
      // An empty payload suits every type but kBye and kReport (8 bytes
      // each) and kFileOffer (46 at least).
      EXPECT_EQ(e, type == 3 || type == 4 || type == 12 ? DecodeError::kBadPayloadSize
                                                        : DecodeError::kNone)
          << type;
    } else {
      EXPECT_EQ(e, DecodeError::kUnknownType) << type;
    }
  }
}

TEST(Codec, KnowsExactlyTheDocumentedTypes) {
  std::set<int> known;
  for (int type = 0; type < 256; ++type) {
    if (payloadLimits(static_cast<std::uint8_t>(type))) known.insert(type);
  }
  EXPECT_EQ(known, (std::set<int>{1, 2, 3, 4, 5, 6, 12, 16, 17, 18, 19, 20, 21, 22, 23}));
  for (MessageType t : kAllTypes) EXPECT_NE(messageTypeName(t), "unknown");
  EXPECT_EQ(messageTypeName(MessageType::kFileOffer), "file-offer");
}

TEST(Codec, RejectsUnknownFlags) {
  for (int bit = 2; bit < 16; ++bit) {  // bit 0 CRC, bit 1 reply
    Bytes frame = validFrame();
    putU16(frame.data() + 4, static_cast<std::uint16_t>(1u << bit));
    EXPECT_EQ(decodeCopy(frame), DecodeError::kUnknownFlags) << "bit " << bit;
  }
}

TEST(Codec, RejectsANonZeroReservedField) {
  for (std::uint16_t reserved : {0x0001, 0x0100, 0xFFFF}) {
    Bytes frame = validFrame();
    putU16(frame.data() + 6, reserved);
    EXPECT_EQ(decodeCopy(frame), DecodeError::kBadReserved) << reserved;
  }
}

TEST(Codec, RejectsALengthAboveTheMaximumBeforeLookingForThePayload) {
  Bytes frame = validFrame("");
  putU32(frame.data() + 8, static_cast<std::uint32_t>(kMaxDatagramPayload + 1));
  EXPECT_EQ(decodeCopy(frame), DecodeError::kLengthTooLarge);
  putU32(frame.data() + 8, 0xFFFFFFFF);
  EXPECT_EQ(decodeCopy(frame), DecodeError::kLengthTooLarge);
  // The caller's maximum counts, not only the datagram limit.
  const Bytes eleven = encode(dataHeader(), Bytes(11, 0));
  EXPECT_EQ(decodeDatagram(eleven, 10).error, DecodeError::kLengthTooLarge);
  EXPECT_TRUE(decodeDatagram(eleven, 11).ok());
}

TEST(Codec, RejectsAPayloadSizeTheTypeDoesNotAllow) {
  auto withType = [](MessageType type, std::size_t size) {
    Header h = dataHeader();
    h.type = type;
    return decodeCopy(encode(h, Bytes(size, 'x')));
  };
  EXPECT_EQ(withType(MessageType::kBye, 8), DecodeError::kNone);
  EXPECT_EQ(withType(MessageType::kBye, 0), DecodeError::kBadPayloadSize);
  EXPECT_EQ(withType(MessageType::kReport, 8), DecodeError::kNone);
  EXPECT_EQ(withType(MessageType::kReport, 7), DecodeError::kBadPayloadSize);
  EXPECT_EQ(withType(MessageType::kReport, 9), DecodeError::kBadPayloadSize);
  EXPECT_EQ(withType(MessageType::kReport, 0), DecodeError::kBadPayloadSize);
  EXPECT_EQ(withType(MessageType::kHello, 256), DecodeError::kNone);
  EXPECT_EQ(withType(MessageType::kHello, 257), DecodeError::kBadPayloadSize);
  EXPECT_EQ(withType(MessageType::kRudpConnect, 257), DecodeError::kBadPayloadSize);
}

TEST(Codec, RejectsALengthThatExceedsTheDatagram) {
  Bytes frame = validFrame("hi");
  putU32(frame.data() + 8, 3);
  EXPECT_EQ(decodeCopy(frame), DecodeError::kLengthExceedsBuffer);
  // A CRC frame whose trailer is cut off.
  Bytes crcFrame = validFrame("hi", flags::kCrc);
  crcFrame.pop_back();
  EXPECT_EQ(decodeCopy(crcFrame), DecodeError::kLengthExceedsBuffer);
}

TEST(Codec, RejectsTrailingBytes) {
  Bytes frame = validFrame("hi");
  frame.push_back(0);
  EXPECT_EQ(decodeCopy(frame), DecodeError::kTrailingBytes);
  // Two frames in one datagram are not one frame.
  Bytes two = validFrame("a");
  appendFrame(dataHeader(), asBytes("b"), two);
  EXPECT_EQ(decodeCopy(two), DecodeError::kTrailingBytes);
}

TEST(Codec, DetectsABadChecksumWhicheverByteIsFlipped) {
  const Bytes frame = validFrame("hi!", flags::kCrc);
  ASSERT_TRUE(decodeDatagram(frame).ok());
  for (std::size_t i = 0; i < frame.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = frame;
      bad[i] ^= static_cast<std::uint8_t>(1u << bit);
      EXPECT_NE(decodeCopy(bad), DecodeError::kNone) << "byte " << i << " bit " << bit;
    }
    Bytes bad = frame;
    bad[i] ^= 0xFF;
    EXPECT_NE(decodeCopy(bad), DecodeError::kNone) << "byte " << i;
  }
  // A flip in the payload or trailer is caught by the CRC itself.
  for (std::size_t i = kHeaderSize; i < frame.size(); ++i) {
    Bytes bad = frame;
    bad[i] ^= 0x01;
    EXPECT_EQ(decodeCopy(bad), DecodeError::kBadChecksum) << "byte " << i;
  }
  // And so is one in a header field no other check covers.
  Bytes badSequence = frame;
  badSequence[20] ^= 0x10;
  EXPECT_EQ(decodeCopy(badSequence), DecodeError::kBadChecksum);
}

TEST(Codec, NeverCrashesOnRandomBytes) {
  std::mt19937_64 rng(1149);
  for (int i = 0; i < 20000; ++i) {
    Bytes bytes(rng() % 80);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    // Most random bytes die at the magic; give half of them a valid prefix.
    if (bytes.size() >= 3 && (i & 1)) {
      bytes[0] = kMagic0;
      bytes[1] = kMagic1;
      bytes[2] = kVersion;
    }
    const DecodeResult r = decodeDatagram(bytes);
    if (r.ok()) {
      EXPECT_EQ(bytes.size(), encodedSize(r.frame.payload.size(), r.frame.header.hasCrc()));
    }
  }
}

TEST(Codec, NeverCrashesOnMutatedValidFrames) {
  std::mt19937_64 rng(4737);
  for (int i = 0; i < 20000; ++i) {
    const RandomFrame f = randomFrame(rng, 64);
    Bytes bytes = encode(f.header, f.payload);
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      switch (rng() % 4) {
        case 0:  // flip a byte
          bytes[rng() % bytes.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
          break;
        case 1:  // cut the tail
          bytes.resize(rng() % (bytes.size() + 1));
          break;
        case 2:  // add junk
          bytes.push_back(static_cast<std::uint8_t>(rng()));
          break;
        case 3:  // a random length field
          if (bytes.size() >= 12) putU32(bytes.data() + 8, static_cast<std::uint32_t>(rng()));
          break;
      }
      if (bytes.empty()) break;
    }
    const Bytes exact(bytes.begin(), bytes.end());
    const DecodeResult r = decodeDatagram(exact);
    if (r.ok()) {
      ASSERT_GE(r.frame.payload.data(), exact.data() + kHeaderSize);
      ASSERT_LE(r.frame.payload.data() + r.frame.payload.size(), exact.data() + exact.size());
    }
  }
}

TEST(Codec, TellsAFrameStartFromPlainText) {
  EXPECT_TRUE(startsLikeFrame(asBytes("P")));
  EXPECT_TRUE(startsLikeFrame(asBytes("PG")));
  EXPECT_TRUE(startsLikeFrame(asBytes("PG\x01")));
  EXPECT_TRUE(startsLikeFrame(validFrame()));
  EXPECT_FALSE(startsLikeFrame(asBytes("")));
  EXPECT_FALSE(startsLikeFrame(asBytes("hello")));
  EXPECT_FALSE(startsLikeFrame(asBytes("Pigeon")));
  EXPECT_FALSE(startsLikeFrame(asBytes("PG\x02")));
  EXPECT_FALSE(startsLikeFrame(asBytes("PGP")));
}

TEST(Codec, DescribesEveryErrorDistinctly) {
  std::set<std::string_view> texts;
  for (int e = 0; e <= static_cast<int>(DecodeError::kEmptyFrameFlood); ++e) {
    const std::string_view text = describe(static_cast<DecodeError>(e));
    EXPECT_FALSE(text.empty());
    EXPECT_NE(text, "unknown error");
    texts.insert(text);
  }
  EXPECT_EQ(texts.size(), static_cast<std::size_t>(DecodeError::kEmptyFrameFlood) + 1);
}
