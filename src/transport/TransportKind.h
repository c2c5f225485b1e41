#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace pigeon::transport {

// The transports pigeon has. Parsed once from a name at the option edge;
// below it, code holds a kind, never a name to compare.
enum class TransportKind { kUdp, kTcp, kRudp };

// What a kind of transport does to messages, for callers that must behave
// differently (a drain timeout only where messages can be lost, a relay only
// where datagrams can cross it) without asking which transport they hold.
struct TransportTraits {
  bool reliable = false;              // every message arrives, once, or the transport fails
  bool byteStream = false;            // a byte stream: frames are cut from it, not datagrams
  bool carriedByUdp = false;          // its packets are UDP datagrams (a UDP relay can carry it)
  bool speaksPlainText = false;       // talks with nc/socat peers that know no frames
  bool acknowledgesMessages = false;  // tells the sender which messages arrived (setAckedHandler)
};

// udp, tcp, rudp: in the order the bench shows them by default.
const std::vector<TransportKind>& allTransportKinds();

// "udp", "tcp", "rudp".
std::string_view transportKindName(TransportKind kind);

// nullopt for a name pigeon does not know.
std::optional<TransportKind> parseTransportKind(std::string_view name);

TransportTraits traitsOf(TransportKind kind);

// "udp, tcp, rudp": for help texts and error messages.
std::string_view transportKindList();

}  // namespace pigeon::transport
