#include "room/RoomWire.h"

#include "chat/RoomPack.h"
#include "wire/Codec.h"

namespace pigeon::room {

namespace {
static_assert(chat::RoomPack::kLineStream == RoomWire::kChatStream);
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

std::size_t RoomWire::appendDatagram(const MemberQueue& queue, std::size_t first,
                                     wire::Bytes& scratch, wire::Bytes& out) {
  const std::size_t room = chat::RoomPack::kMaxBytes - wire::kHeaderSize;
  std::size_t taken = 0;
  std::size_t bytes = 0;
  while (first + taken < queue.size()) {
    const std::size_t more = chat::RoomPack::lineBytes(queue.at(first + taken).text->size());
    if (taken > 0 && bytes + more > room) break;
    bytes += more;
    ++taken;
  }
  if (taken <= 1) {  // alone, as when the room is quiet: no pack
    appendFrame(queue.at(first), out);
    return 1;
  }
  scratch.clear();
  for (std::size_t i = first; i < first + taken; ++i) {
    chat::RoomPack::appendLine(queue.at(i).sequence, wire::asBytes(*queue.at(i).text), scratch);
  }
  wire::Header header;
  header.type = wire::MessageType::kData;
  header.streamId = chat::RoomPack::kStream;
  header.sequence = queue.at(first).sequence;  // the first line's, for a reader of dumps
  wire::appendFrame(header, scratch, out);
  return taken;
}

std::size_t RoomWire::appendPlainDatagram(const MemberQueue& queue, std::size_t first,
                                          std::uint64_t& expected, wire::Bytes& out) {
  constexpr std::size_t kNoteBytes = 80;  // at most, the "lines dropped here" line
  const std::size_t start = out.size();
  std::size_t taken = 0;
  while (first + taken < queue.size()) {
    const OutLine& line = queue.at(first + taken);
    const std::size_t more = line.text->size() + 1 + (line.sequence > expected ? kNoteBytes : 0);
    if (taken > 0 && out.size() - start + more > chat::RoomPack::kMaxBytes) break;
    appendPlain(line, expected, out);
    ++taken;
  }
  return taken;
}

}  // namespace pigeon::room
