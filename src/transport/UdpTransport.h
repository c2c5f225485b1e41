#pragma once

#include "transport/BatchedDatagramIo.h"
#include "transport/DatagramBatch.h"
#include "transport/Transport.h"

#include <Poco/Net/DatagramSocket.h>

#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

namespace pigeon::transport {

// pigeon messages over UDP, one message per datagram (sendto/recvfrom on a
// Poco DatagramSocket). Each datagram is judged on its own: one that starts
// like a pigeon frame is decoded (and reported kMalformed if it is not one);
// anything else is plain text from a plain peer.
//
// A connecting transport connect()s its socket, so an ICMP port unreachable
// from the peer comes back as kConnectionRefused. A listening transport takes
// the first source it hears from as its peer and then connects to it too.
class UdpTransport : public Transport, public BatchedDatagramIo {
 public:
  // Bound to `local` (port 0: the kernel picks); the peer is whoever speaks
  // first. An IPv6 wildcard ("::") also accepts IPv4 peers.
  static std::unique_ptr<UdpTransport> listen(const Poco::Net::SocketAddress& local);

  // Connected to `peer`, from `local` if given.
  static std::unique_ptr<UdpTransport> connect(
      const Poco::Net::SocketAddress& peer,
      const std::optional<Poco::Net::SocketAddress>& local = std::nullopt);

  void sendMessage(const wire::Header& header, wire::ByteSpan payload) override;
  void sendPlain(wire::ByteSpan bytes) override;
  Incoming receive(Poco::Timespan timeout) override;

  // The batched fast path (sendmmsg/recvmmsg on the native handle), for a
  // bench at full speed. Same threading rules as sendMessage and receive.
  //
  // Sends every frame of `batch`, in order, with as few sendmmsg(2) calls as
  // the kernel allows, then clears it. Throws TransportError like
  // sendMessage(); frames before the one that failed may have gone out.
  void sendBatch(DatagramBatch& batch) override;
  // With segmentation on, sendBatch hands a batch of equal-size frames to
  // the kernel as one UDP GSO send (sendmsg with UDP_SEGMENT): the kernel
  // cuts it into one datagram per frame, so the peer receives exactly what
  // sendmmsg would have sent it, each datagram queued, counted and dropped
  // on its own, for much less work per datagram. Where the kernel refuses,
  // sendBatch uses sendmmsg from then on. Off by default.
  void setSegmentation(bool on) override { segmentation_ = on; }
  bool segmentation() const { return segmentation_; }
  // Waits up to `timeout` for a datagram (a timeout of 0 only looks), then
  // reads every one queued, up to the batch's capacity, with one
  // recvmmsg(2), and decodes them in place (DatagramBatch::received()); like
  // receive(), the first source heard from becomes the peer and strangers
  // are ignored. Returns how many datagrams were read from the socket: 0
  // when none came in time. Throws TransportError like receive().
  std::size_t receiveBatch(DatagramBatch& batch, Poco::Timespan timeout) override;

  bool hasPeer() const override;
  Poco::Net::SocketAddress peerAddress() const override;
  Poco::Net::SocketAddress localAddress() const override;
  PeerKind peerKind() const override { return kind_.load(); }
  std::size_t maxPayload() const override { return wire::kMaxDatagramPayload; }
  TransportKind kind() const override { return TransportKind::kUdp; }
  BatchedDatagramIo* batchedIo() override { return this; }
  void close() override;
  void forgetPeer() override;  // on the receiving thread
  int nativeHandle() const override { return socket_.impl()->sockfd(); }

 private:
  explicit UdpTransport(Poco::Net::DatagramSocket socket);
  Incoming receiveOnce(Poco::Timespan timeout);  // may end early with kTimeout
  void sendDatagram(wire::ByteSpan datagram);
  // One UDP GSO send of the whole batch; false where it cannot be one.
  bool sendSegmented(DatagramBatch& batch, const Poco::Net::SocketAddress& peer);
  void adoptPeer(const Poco::Net::SocketAddress& from);
  void notePeerKind(PeerKind kind);  // the first datagram tells

  Poco::Net::DatagramSocket socket_;
  std::optional<Poco::Net::SocketAddress> listenedOn_;  // with the port it got; listen() only
  mutable std::mutex peerMutex_;
  std::optional<Poco::Net::SocketAddress> peer_;
  SourceAddress peerName_;  // peer_ as the kernel names it; peerMutex_ guards
  std::atomic<PeerKind> kind_{PeerKind::kUnknown};
  wire::Bytes sendBuffer_;                          // used by the sending thread only
  wire::Bytes receiveBuffer_;                       // used by the receiving thread only
  Poco::Timespan::TimeDiff receiveTimeoutUs_ = -1;  // SO_RCVTIMEO now; receiving thread
  bool refusedPending_ = false;  // an ICMP error to report once the queue is empty; same
  bool segmentation_ = false;    // UDP GSO in sendBatch; sending thread
};

// Binds `socket` to `local`; an IPv6 wildcard is made dual-stack. Throws
// TransportError.
void bindDatagramSocket(Poco::Net::DatagramSocket& socket, const Poco::Net::SocketAddress& local);

}  // namespace pigeon::transport
