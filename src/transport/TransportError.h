#pragma once

#include <stdexcept>
#include <string>

namespace pigeon::transport {

// A failure of the network or of the user's addressing, with a message
// written for the person at the terminal (one line, no trailing period).
class TransportError : public std::runtime_error {
 public:
  enum class Code {
    kBadAddress,           // the text is not HOST:PORT
    kHostNotFound,         // the name does not resolve
    kAddressInUse,         // bind: the port is taken
    kAddressNotAvailable,  // bind: not an address of this host
    kConnectionRefused,    // TCP RST, or ICMP port unreachable for UDP
    kTimedOut,             // connect or handshake took too long
    kMessageTooLong,       // payload above what one datagram or frame carries
    kPeerClosed,           // the peer went away mid-send
    kProtocol,             // the peer broke the protocol
    kFamilyNotSupported,   // no IPv6 (or IPv4) on this host
    kOther,
  };

  TransportError(Code code, const std::string& message)
      : std::runtime_error(message), code_(code) {}

  Code code() const { return code_; }

 private:
  Code code_;
};

}  // namespace pigeon::transport
