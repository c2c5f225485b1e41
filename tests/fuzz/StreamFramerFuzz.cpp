// The stream framer: the same bytes cut into any pieces, appended or read
// into its own room, give the same frames and the same final state as in
// one piece.

#include "FuzzInput.h"
#include "wire/StreamFramer.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace {

using namespace pigeon::wire;

struct Seen {
  std::vector<std::pair<Header, Bytes>> frames;
  StreamFramer::Status last = StreamFramer::Status::kNeedMore;
  DecodeError error = DecodeError::kNone;
};

void drain(StreamFramer& framer, Seen& seen) {
  for (;;) {
    const auto r = framer.next();
    if (r.status != StreamFramer::Status::kFrame) {
      seen.last = r.status;
      seen.error = r.error;
      return;
    }
    seen.frames.emplace_back(r.frame.header, Bytes(r.frame.payload.begin(), r.frame.payload.end()));
  }
}

bool same(const Header& a, const Header& b) {
  return a.type == b.type && a.flags == b.flags && a.payloadLength == b.payloadLength &&
         a.streamId == b.streamId && a.sequence == b.sequence && a.sendTimeNs == b.sendTimeNs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pigeon::fuzz::FuzzInput in(data, size);
  // The first 8 bytes choose the cuts; a small maximum payload reaches the
  // length check too.
  std::uint8_t cuts[8];
  for (auto& c : cuts) c = in.byte();
  const std::size_t maxPayload = 1 + (in.byte() << 4);
  const ByteSpan stream = in.rest();

  StreamFramer whole(maxPayload);
  Seen one;
  whole.append(stream);
  drain(whole, one);

  StreamFramer pieces(maxPayload);
  Seen split;
  std::size_t pos = 0;
  for (std::size_t k = 0; pos < stream.size(); ++k) {
    std::size_t n = 1 + cuts[k % 8];
    if (n > stream.size() - pos) n = stream.size() - pos;
    if (cuts[k % 8] & 1) {
      // As TcpTransport reads: into the framer's own room, larger than
      // what the read brings, the rest left as the read found it.
      const std::span<std::uint8_t> room = pieces.reserveTail(n + 16 * cuts[(k + 1) % 8]);
      std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(pos), n, room.begin());
      pieces.commitTail(n);
    } else {
      pieces.append(stream.subspan(pos, n));
    }
    pos += n;
    drain(pieces, split);
    if (split.last == StreamFramer::Status::kError) break;
  }
  if (stream.empty()) drain(pieces, split);

  if (one.frames.size() != split.frames.size() || one.last != split.last ||
      one.error != split.error) {
    std::abort();
  }
  for (std::size_t i = 0; i < one.frames.size(); ++i) {
    if (!same(one.frames[i].first, split.frames[i].first) ||
        one.frames[i].second != split.frames[i].second) {
      std::abort();
    }
  }
  return 0;
}
