#pragma once

#include "transport/rudp/DropReason.h"
#include "transport/rudp/RudpConnection.h"
#include "transport/rudp/RudpOptions.h"
#include "transport/rudp/RudpPackets.h"

#include <functional>
#include <string>

namespace pigeon::transport::rudp {

// The client's side of the handshake:
//   Connect -> (Challenge with a cookie) -> Cookie -> (Accept) -> established
// Connect and Cookie are resent, at gaps that double up to the initial RTO
// and then stay, until the answer comes or the deadline passes. No socket, no clock;
// talks to one peer. Not thread safe.
class RudpConnector {
 public:
  enum class State { kAwaitChallenge, kAwaitAccept, kEstablished, kFailed };
  using Transmit = std::function<void(wire::ByteSpan datagram)>;

  // `connectionId` (not 0) and `isn` should be random.
  RudpConnector(const RudpOptions& options, std::uint32_t connectionId, std::uint64_t isn,
                Transmit transmit);

  // Sends the first Connect; the handshake fails if not done by `deadlineNs`.
  void start(std::int64_t nowNs, std::int64_t deadlineNs);

  InputResult inputDatagram(wire::ByteSpan datagram, std::int64_t nowNs);
  void update(std::int64_t nowNs);
  std::int64_t nextTimeoutNs() const;

  State state() const { return state_; }
  // Why kFailed: "no answer to connect" or "a challenge but no accept".
  const std::string& failure() const { return failure_; }
  // What the handshake settled; meaningful once kEstablished.
  const ConnectionParams& params() const { return params_; }
  std::uint64_t datagramsSent() const { return datagramsSent_; }

 private:
  void sendHello();

  RudpOptions options_;
  Hello hello_;
  Transmit transmit_;
  State state_ = State::kAwaitChallenge;
  std::string failure_;
  Cookie cookie_{};
  ConnectionParams params_;
  std::int64_t deadlineNs_ = kNever;
  std::int64_t retryAtNs_ = kNever;
  std::int64_t intervalNs_ = 0;
  std::int64_t ceilingNs_ = 0;  // the longest gap between resends
  std::int64_t sentNs_ = 0;     // when the current Connect or Cookie was first sent
  int sends_ = 0;               // of the current Connect or Cookie (Karn: sample if 1)
  std::uint64_t datagramsSent_ = 0;
  wire::Bytes out_;
};

}  // namespace pigeon::transport::rudp
