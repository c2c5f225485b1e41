// Two rudp endpoints, a listener and a client, over a network the fuzzer
// drives: each input is a script of sends, deliveries, drops, duplicates,
// reorders, corruptions, forged datagrams from strangers and steps of time.
// Then the network heals (everything delivered, time runs on), and:
//   - every message handed up was sent, with its header fields and payload,
//     exactly once, and in order (ordered delivery);
//   - unless a connection gave up (its idle timeout) or never got made,
//     every message sent was handed up.
// No socket, no thread: RudpEndpoint with a fake clock. The CRC cost is
// kept small: messages carry at most 15 bytes and a script at most 24 of
// them each way, so a datagram costs tens of bytes of CRC-32, not
// kilobytes, and a long run reaches 10 M executions (docs/fuzzing.md).

#include "FuzzInput.h"
#include "transport/rudp/RudpCodec.h"
#include "transport/rudp/RudpEndpoint.h"
#include "wire/Codec.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <deque>
#include <optional>
#include <vector>

using namespace pigeon::transport::rudp;
using pigeon::transport::SourceAddress;
using pigeon::wire::Bytes;
using pigeon::wire::ByteSpan;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::uint64_t kMessagesEachWay = 24;
constexpr std::size_t kMaxInFlight = 256;
constexpr int kMaxOps = 4096;

SourceAddress at(int port) { return SourceAddress(Poco::Net::SocketAddress("127.0.0.1", port)); }

// Made once: a Poco address is parsed from text.
const SourceAddress kListenerAddress = at(9000);
const SourceAddress kClientAddress = at(5000);
const std::array<SourceAddress, 8> kStrangers = {at(6000), at(6001), at(6002), at(6003),
                                                 at(6004), at(6005), at(6006), at(6007)};

Bytes payloadOf(std::uint64_t sequence) {
  return Bytes(sequence % 16, static_cast<std::uint8_t>(0xA5 ^ sequence));
}

struct Datagram {
  Bytes bytes;
  SourceAddress from;
  SourceAddress to;
};

// One side: its endpoint, its one connection once established, and what
// its application sent and was handed.
struct Side {
  SourceAddress address;
  std::unique_ptr<RudpEndpoint> endpoint;
  std::optional<RudpEndpoint::Handle> handle;
  std::uint64_t sent = 0;
  std::uint64_t nextExpected = 0;
  std::vector<bool> seen = std::vector<bool>(kMessagesEachWay, false);

  RudpConnection* connection() {
    if (!handle) handle = endpoint->takeEstablished();
    return handle ? endpoint->connection(*handle) : nullptr;
  }
};

struct World {
  std::int64_t nowNs = 1'000 * kMs;
  std::deque<Datagram> inFlight;
  Side listener;
  Side client;
  DeliveryMode delivery = DeliveryMode::kOrdered;

  RudpEndpoint::Transmit transmitFrom(const SourceAddress& from) {
    return [this, from](ByteSpan d, const SourceAddress& to) {
      if (inFlight.size() < kMaxInFlight) inFlight.push_back({Bytes(d.begin(), d.end()), from, to});
    };
  }

  void deliverHead() {
    if (inFlight.empty()) return;
    Datagram d = std::move(inFlight.front());
    inFlight.pop_front();
    Side* to = d.to == listener.address ? &listener : d.to == client.address ? &client : nullptr;
    if (to == nullptr) return;
    to->endpoint->input(d.bytes, d.from, nowNs);
    to->endpoint->flushAcks();
  }

  void send(Side& side) {
    RudpConnection* c = side.connection();
    if (!c || side.sent >= kMessagesEachWay || !c->canSend()) return;
    pigeon::wire::Header h;
    h.type = pigeon::wire::MessageType::kData;
    h.streamId = 7;
    h.sequence = side.sent;
    h.sendTimeNs = 1000 + side.sent;
    c->send(h, payloadOf(side.sent), nowNs);
    ++side.sent;
  }

  // The application reads all that is ready; checks each message.
  void take(Side& side, const Side& peer) {
    RudpConnection* c = side.connection();
    if (!c) return;
    while (auto m = c->takeMessage(nowNs)) {
      const std::uint64_t s = m->header.sequence;
      if (s >= peer.sent || side.seen[s]) std::abort();  // never sent, or twice
      if (m->header.streamId != 7 || m->header.sendTimeNs != 1000 + s) std::abort();
      if (m->payload != payloadOf(s)) std::abort();
      if (delivery == DeliveryMode::kOrdered && s != side.nextExpected) std::abort();
      side.seen[s] = true;
      ++side.nextExpected;
    }
  }

  void advance(std::int64_t ns) {
    nowNs += ns;
    listener.endpoint->update(nowNs);
    client.endpoint->update(nowNs);
  }

  bool failed(Side& side) {
    RudpConnection* c = side.connection();
    return !c || c->state() == RudpConnection::State::kFailed;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pigeon::fuzz::FuzzInput in(data, size);
  RudpOptions options;
  const std::uint8_t mode = in.byte();
  options.arq = static_cast<ArqScheme>(1 + mode % 3);
  options.delivery = static_cast<DeliveryMode>(1 + (mode >> 2) % 2);
  options.receiveWindowMessages = 1 + (mode >> 3) % 16;
  options.sendWindowMessages = 1 + in.byte() % 16;
  options.adaptiveReordering = (mode & 0x80) != 0;

  World w;
  w.delivery =
      options.arq == ArqScheme::kSelectiveRepeat ? options.delivery : DeliveryMode::kOrdered;
  w.listener.address = kListenerAddress;
  w.client.address = kClientAddress;
  w.listener.endpoint = std::make_unique<RudpEndpoint>(
      options, CookieMinter::Secret{3, 1, 4}, w.transmitFrom(w.listener.address),
      [] { return std::uint64_t{0xFFFF'FFFF'FFFF'FF00}; });  // the ISN wraps soon
  w.client.endpoint = std::make_unique<RudpEndpoint>(options, w.listener.address, 0x5EED, 77,
                                                     w.transmitFrom(w.client.address), w.nowNs,
                                                     w.nowNs + 60'000 * kMs);

  for (int op = 0; op < kMaxOps && in.remaining() > 0; ++op) {
    const std::uint8_t choice = in.byte();
    switch (choice % 10) {
      case 0:
        w.send(w.client);
        break;
      case 1:
        w.send(w.listener);
        break;
      case 2:
      case 3:
        w.deliverHead();
        break;
      case 4:  // drop
        if (!w.inFlight.empty()) w.inFlight.pop_front();
        break;
      case 5:  // duplicate
        if (!w.inFlight.empty() && w.inFlight.size() < kMaxInFlight) {
          w.inFlight.push_back(w.inFlight.front());
        }
        break;
      case 6:  // reorder: the head goes k places back
        if (w.inFlight.size() > 1) {
          const std::size_t k = 1 + in.byte() % (w.inFlight.size() - 1);
          std::swap(w.inFlight[0], w.inFlight[k]);
        }
        break;
      case 7:  // corrupt the head in flight: its CRC no longer matches
        if (!w.inFlight.empty() && !w.inFlight.front().bytes.empty()) {
          Bytes& b = w.inFlight.front().bytes;
          b[in.byte() % b.size()] ^= static_cast<std::uint8_t>(1 | in.byte());
        }
        break;
      case 8: {  // forged, from a stranger: a real datagram replayed, or one made up
        const bool toListener = (choice & 0x10) != 0;
        Datagram d;
        d.from = kStrangers[choice >> 5];
        d.to = toListener ? w.listener.address : w.client.address;
        if ((choice & 0x20) != 0 && !w.inFlight.empty()) {
          d.bytes = w.inFlight.front().bytes;
        } else {
          pigeon::wire::Header h;
          h.type = static_cast<pigeon::wire::MessageType>(16 + in.byte() % 8);
          h.flags = pigeon::wire::flags::kCrc;
          h.sequence = in.u64();
          const ByteSpan body = in.take(in.byte() % 80);
          d.bytes = pigeon::wire::encode(h, body);
        }
        if (w.inFlight.size() < kMaxInFlight) w.inFlight.push_front(std::move(d));
        break;
      }
      default:  // time passes; the applications read
        w.advance(static_cast<std::int64_t>(in.byte()) * 5 * kMs);
        w.take(w.client, w.listener);
        w.take(w.listener, w.client);
        break;
    }
  }

  // The network heals: deliver everything, let time run to each timer.
  for (int step = 0; step < 20'000; ++step) {
    while (!w.inFlight.empty()) w.deliverHead();
    w.take(w.client, w.listener);
    w.take(w.listener, w.client);
    RudpConnection* a = w.client.connection();
    RudpConnection* b = w.listener.connection();
    const bool done = a && b && a->allAcked() && b->allAcked() &&
                      w.client.nextExpected == w.listener.sent &&
                      w.listener.nextExpected == w.client.sent;
    if (done) break;
    const std::int64_t next =
        std::min(w.listener.endpoint->nextTimeoutNs(), w.client.endpoint->nextTimeoutNs());
    if (next == kNever) break;
    w.advance(std::max<std::int64_t>(next - w.nowNs, 0) + 1);
  }
  if (w.failed(w.client) || w.failed(w.listener)) return 0;  // gave up: nothing more to promise
  if (w.client.nextExpected != w.listener.sent || w.listener.nextExpected != w.client.sent) {
    std::abort();  // a message sent and never handed up, on a healed network
  }
  return 0;
}
