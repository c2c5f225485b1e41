#include "room/RoomWire.h"

#include "wire/Codec.h"

namespace pigeon::room {

namespace {
void appendControl(wire::MessageType type, wire::ByteSpan payload, wire::Bytes& out) {
  wire::Header header;
  header.type = type;
  header.streamId = RoomWire::kControlStream;
  wire::appendFrame(header, payload, out);
}
}  // namespace

void RoomWire::appendHello(wire::Bytes& out) {
  appendControl(wire::MessageType::kHello, wire::asBytes("room"), out);
}

void RoomWire::appendBye(std::uint64_t linesSent, wire::Bytes& out) {
  wire::Bytes count(8);
  wire::putU64(count.data(), linesSent);
  appendControl(wire::MessageType::kBye, count, out);
}

void RoomWire::appendFrame(const OutLine& line, wire::Bytes& out) {
  wire::Header header;
  header.type = wire::MessageType::kData;
  header.streamId = kChatStream;
  header.sequence = line.sequence;
  wire::appendFrame(header, wire::asBytes(*line.text), out);
}

void RoomWire::appendPlain(const OutLine& line, std::uint64_t& expected, wire::Bytes& out) {
  if (line.sequence > expected) {
    const std::string note = "* " + std::to_string(line.sequence - expected) +
                             " lines dropped here: you were not reading fast enough\n";
    out.insert(out.end(), note.begin(), note.end());
  }
  expected = line.sequence + 1;
  out.insert(out.end(), line.text->begin(), line.text->end());
  out.push_back('\n');
}

}  // namespace pigeon::room
