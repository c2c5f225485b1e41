#include "transport/TransportKind.h"

namespace pigeon::transport {

const std::vector<TransportKind>& allTransportKinds() {
  static const std::vector<TransportKind> kinds = {TransportKind::kUdp, TransportKind::kTcp,
                                                   TransportKind::kRudp};
  return kinds;
}

std::string_view transportKindName(TransportKind kind) {
  switch (kind) {
    case TransportKind::kUdp:
      return "udp";
    case TransportKind::kTcp:
      return "tcp";
    case TransportKind::kRudp:
      return "rudp";
  }
  return "unknown";
}

std::optional<TransportKind> parseTransportKind(std::string_view name) {
  for (const TransportKind kind : allTransportKinds()) {
    if (transportKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

TransportTraits traitsOf(TransportKind kind) {
  switch (kind) {
    case TransportKind::kUdp:
      return {
          .reliable = false, .byteStream = false, .carriedByUdp = true, .speaksPlainText = true};
    case TransportKind::kTcp:
      return {.reliable = true, .byteStream = true, .carriedByUdp = false, .speaksPlainText = true};
    case TransportKind::kRudp:
      return {.reliable = true,
              .byteStream = false,
              .carriedByUdp = true,
              .speaksPlainText = false,
              .acknowledgesMessages = true};
  }
  return {};
}

std::string_view transportKindList() { return "udp, tcp, rudp"; }

}  // namespace pigeon::transport
