#pragma once

#include "transport/rudp/DropReason.h"
#include "transport/rudp/RudpPackets.h"
#include "wire/Codec.h"

#include <cstdint>

namespace pigeon::transport::rudp {

// Encoding and decoding of rudp datagrams (layouts in RudpPackets.h).
// Decoding never throws and never reads past its input: the datagram is
// checked as a pigeon frame (CRC included), then the CRC flag, then its
// payload size against the table for its type, before any field is read.

// Whether a datagram is rudp's to judge, by its first bytes only: a pigeon
// header (magic 'P' 'G') of an rudp type (16..23). How one UDP socket
// serves rudp beside plain UDP (pigeon echo): these go to the rudp
// endpoint, the rest (plain text, other pigeon frames) elsewhere.
bool isRudpDatagram(wire::ByteSpan datagram);

// Decodes one datagram. On success `out.payload` points into `datagram`.
InputResult decodeRudpDatagram(wire::ByteSpan datagram, wire::Frame& out);

// The connection id every rudp payload starts with; only for a frame that
// decodeRudpDatagram took.
std::uint32_t connectionIdOf(const wire::Frame& frame);

// Field parsers for payloads whose size decodeRudpDatagram has checked;
// they check values (reserved bits zero, known modes, SACK structure).
DropReason parseConnect(wire::ByteSpan payload, Hello& out);
DropReason parseChallenge(wire::ByteSpan payload, std::uint32_t& connectionId, Cookie& cookie);
DropReason parseCookie(wire::ByteSpan payload, Hello& hello, Cookie& cookie);
DropReason parseAccept(wire::ByteSpan payload, Hello& out);
DropReason parseData(wire::ByteSpan payload, DataPrefix& out, wire::ByteSpan& userPayload);
DropReason parseAck(wire::ByteSpan payload, AckPacket& out);
DropReason parseClose(wire::ByteSpan payload, ClosePacket& out);
DropReason parseCloseAck(wire::ByteSpan payload, std::uint32_t& connectionId);

// Builders: each appends one whole datagram (header, payload, CRC) to
// `out`. Control messages carry stream id 0, sequence 0 and `nowNs`.
void appendConnect(const Hello& hello, std::int64_t nowNs, wire::Bytes& out);
void appendChallenge(std::uint32_t connectionId, const Cookie& cookie, std::int64_t nowNs,
                     wire::Bytes& out);
void appendCookie(const Hello& hello, const Cookie& cookie, std::int64_t nowNs, wire::Bytes& out);
void appendAccept(const Hello& hello, std::int64_t nowNs, wire::Bytes& out);
void appendAck(const AckPacket& ack, std::int64_t nowNs, wire::Bytes& out);
void appendClose(const ClosePacket& close, std::int64_t nowNs, wire::Bytes& out);
void appendCloseAck(std::uint32_t connectionId, std::int64_t nowNs, wire::Bytes& out);

// A data datagram: the pigeon header gets the user's stream id and send
// time and the rudp `wireSequence`. `scratch` is reused to avoid allocating.
void appendData(const DataPrefix& prefix, std::uint32_t streamId, std::uint64_t sendTimeNs,
                std::uint64_t wireSequence, wire::ByteSpan userPayload, wire::Bytes& scratch,
                wire::Bytes& out);

}  // namespace pigeon::transport::rudp
