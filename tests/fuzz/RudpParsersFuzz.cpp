// Every rudp parser on any bytes: a typed drop reason or a parsed packet,
// never a read out of bounds. The whole-datagram decoder checks the CRC
// first, so the payload parsers are also fed directly.

#include "FuzzInput.h"
#include "transport/rudp/RudpCodec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pigeon::transport::rudp;
  pigeon::wire::Frame frame;
  if (decodeRudpDatagram(pigeon::wire::ByteSpan(data, size), frame).taken()) {
    (void)connectionIdOf(frame);
  }
  pigeon::fuzz::FuzzInput in(data, size);
  const std::uint8_t which = in.byte();
  const pigeon::wire::ByteSpan payload = in.rest();
  Hello hello;
  Cookie cookie{};
  std::uint32_t id = 0;
  switch (which % 8) {
    case 0:
      (void)parseConnect(payload, hello);
      break;
    case 1:
      (void)parseChallenge(payload, id, cookie);
      break;
    case 2:
      (void)parseCookie(payload, hello, cookie);
      break;
    case 3:
      (void)parseAccept(payload, hello);
      break;
    case 4: {
      DataPrefix prefix;
      pigeon::wire::ByteSpan user;
      if (parseData(payload, prefix, user) == DropReason::kNone &&
          (user.data() < payload.data() ||
           user.data() + user.size() > payload.data() + payload.size())) {
        __builtin_trap();  // the user payload must lie inside the input
      }
      break;
    }
    case 5: {
      AckPacket ack;
      (void)parseAck(payload, ack);
      break;
    }
    case 6: {
      ClosePacket close;
      (void)parseClose(payload, close);
      break;
    }
    default:
      (void)parseCloseAck(payload, id);
      break;
  }
  return 0;
}
