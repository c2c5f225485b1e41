// The rudp listener's handshake: whatever arrives, every reply is no larger
// than the datagram it answers (no amplification for a spoofed source).
// Half the inputs are raw datagrams; the other half a real Connect built
// from the input, then a Cookie with the cookie it got back, possibly
// altered, so the cookie check is reached too.

#include "FuzzInput.h"
#include "transport/rudp/HandshakeResponder.h"
#include "transport/rudp/RudpCodec.h"

#include <cstdlib>
#include <optional>

using namespace pigeon::transport::rudp;
using pigeon::wire::Bytes;
using pigeon::wire::ByteSpan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pigeon::fuzz::FuzzInput in(data, size);
  std::size_t requestSize = 0;
  std::optional<Bytes> lastReply;
  HandshakeResponder listener(
      RudpOptions{}, CookieMinter::Secret{7, 7, 7},
      [&](ByteSpan reply, const Poco::Net::SocketAddress&) {
        if (reply.size() > requestSize) std::abort();
        lastReply.emplace(reply.begin(), reply.end());
      },
      [] { return std::uint64_t{42}; });
  const Poco::Net::SocketAddress from("127.0.0.1", 40000);
  const std::uint8_t mode = in.byte();
  const std::int64_t nowNs = static_cast<std::int64_t>(in.u32()) * 1000;

  if ((mode & 1) == 0) {
    const ByteSpan datagram = in.rest();
    requestSize = datagram.size();
    (void)listener.input(datagram, from, nowNs);
    return 0;
  }
  Hello hello;
  hello.connectionId = in.u32();
  hello.arq = static_cast<ArqScheme>(1 + in.byte() % 3);
  hello.delivery = static_cast<DeliveryMode>(1 + in.byte() % 2);
  hello.initialSequence = in.u64();
  hello.receiveWindow = in.u32();
  Bytes connect;
  appendConnect(hello, nowNs, connect);
  requestSize = connect.size();
  (void)listener.input(connect, from, nowNs);
  if (!lastReply) return 0;
  pigeon::wire::Frame frame;
  std::uint32_t id = 0;
  Cookie cookie{};
  if (!decodeRudpDatagram(*lastReply, frame).taken() ||
      parseChallenge(frame.payload, id, cookie) != DropReason::kNone) {
    return 0;
  }
  if (mode & 2) cookie[in.byte() % cookie.size()] ^= static_cast<std::uint8_t>(1 | in.byte());
  if (mode & 4) hello.receiveWindow ^= in.u32();
  Bytes reply;
  appendCookie(hello, cookie, nowNs, reply);
  requestSize = reply.size();
  (void)listener.input(reply, from, nowNs + static_cast<std::int64_t>(in.u32()) * 1000);
  return 0;
}
