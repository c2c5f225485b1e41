// A UDP peer that sends and goes away: what it sent is delivered before the
// ICMP port unreachable its absence causes, although the kernel reports the
// error first.

#include "transport/DatagramBatch.h"
#include "transport/TransportError.h"
#include "transport/UdpTransport.h"
#include "wire/Codec.h"

#include <Poco/Net/DatagramSocket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

using namespace pigeon::transport;
using namespace pigeon::wire;
using Kind = Incoming::Kind;
using Poco::Timespan;
using Poco::Net::DatagramSocket;
using Poco::Net::SocketAddress;
using Clock = std::chrono::steady_clock;

namespace {

const SocketAddress kAny("127.0.0.1", 0);
const Timespan kPoll(0, 200'000);

Bytes frame(std::uint64_t sequence) {
  Header h;
  h.type = MessageType::kData;
  h.sequence = sequence;
  return encode(h, asBytes("m" + std::to_string(sequence)));
}

// A peer that sends frames 0, 1, 2 and closes its socket; `server` has read
// frame 0 (so the peer is adopted) and answered, which brings the ICMP error.
void peerSendsThreeAndVanishes(UdpTransport& server) {
  DatagramSocket peer(kAny.family());
  peer.bind(kAny);
  for (std::uint64_t s = 0; s < 3; ++s) {
    const Bytes f = frame(s);
    peer.sendTo(f.data(), static_cast<int>(f.size()), server.localAddress());
  }
  const Incoming first = server.receive(kPoll);
  ASSERT_EQ(first.kind, Kind::kMessage);
  ASSERT_EQ(first.header.sequence, 0u);
  peer.close();
  Header reply;
  server.sendMessage(reply, asBytes("anyone there?"));
}

}  // namespace

TEST(UdpVanishedPeer, ReceiveDeliversWhatArrivedThenReportsThePeerGone) {
  auto server = UdpTransport::listen(kAny);
  peerSendsThreeAndVanishes(*server);
  std::vector<std::uint64_t> got;
  std::optional<TransportError::Code> error;
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (!error && Clock::now() < deadline) {
    try {
      const Incoming in = server->receive(kPoll);
      if (in.kind == Kind::kMessage) got.push_back(in.header.sequence);
    } catch (const TransportError& e) {
      error = e.code();
    }
  }
  EXPECT_EQ(got, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(error, TransportError::Code::kConnectionRefused);
}

TEST(UdpVanishedPeer, ReceiveBatchDeliversWhatArrivedThenReportsThePeerGone) {
  auto server = UdpTransport::listen(kAny);
  peerSendsThreeAndVanishes(*server);
  DatagramBatch batch(8, 128);
  std::vector<std::uint64_t> got;
  std::optional<TransportError::Code> error;
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (!error && Clock::now() < deadline) {
    try {
      server->receiveBatch(batch, kPoll);
      for (const auto& d : batch.received()) got.push_back(d.header.sequence);
    } catch (const TransportError& e) {
      error = e.code();
    }
  }
  EXPECT_EQ(got, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(error, TransportError::Code::kConnectionRefused);
}
