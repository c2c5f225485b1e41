#include "wire/Header.h"

namespace pigeon::wire {

std::optional<PayloadLimits> payloadLimits(std::uint8_t type) {
  constexpr std::size_t any = kMaxStreamPayload;
  switch (static_cast<MessageType>(type)) {
    case MessageType::kData:
    case MessageType::kEcho:
    case MessageType::kEchoReply:
    case MessageType::kRudpData:
    case MessageType::kRudpAck:
      return PayloadLimits{0, any};
    case MessageType::kHello:
      return PayloadLimits{0, 256};
    case MessageType::kFileOffer:
      return PayloadLimits{46, 46 + 255};  // fixed fields, then a name of 1..255 bytes
    case MessageType::kBye:
      return PayloadLimits{8, 8};  // how many data messages the sender sent
    case MessageType::kReport:
      return PayloadLimits{8, 8};
    case MessageType::kRudpConnect:
    case MessageType::kRudpChallenge:
    case MessageType::kRudpCookie:
    case MessageType::kRudpAccept:
    case MessageType::kRudpClose:
    case MessageType::kRudpCloseAck:
      return PayloadLimits{0, 256};
  }
  return std::nullopt;
}

std::string_view messageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kData:
      return "data";
    case MessageType::kHello:
      return "hello";
    case MessageType::kBye:
      return "bye";
    case MessageType::kReport:
      return "report";
    case MessageType::kEcho:
      return "echo";
    case MessageType::kEchoReply:
      return "echo-reply";
    case MessageType::kFileOffer:
      return "file-offer";
    case MessageType::kRudpConnect:
      return "rudp-connect";
    case MessageType::kRudpChallenge:
      return "rudp-challenge";
    case MessageType::kRudpCookie:
      return "rudp-cookie";
    case MessageType::kRudpAccept:
      return "rudp-accept";
    case MessageType::kRudpData:
      return "rudp-data";
    case MessageType::kRudpAck:
      return "rudp-ack";
    case MessageType::kRudpClose:
      return "rudp-close";
    case MessageType::kRudpCloseAck:
      return "rudp-close-ack";
  }
  return "unknown";
}

}  // namespace pigeon::wire
