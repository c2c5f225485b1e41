#pragma once

#include "transport/SourceAddress.h"
#include "transport/Transport.h"
#include "wire/Bytes.h"
#include "wire/DecodeError.h"
#include "wire/Header.h"

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace pigeon::transport {

// The datagrams of one sendmmsg(2) or recvmmsg(2): `capacity` slots of
// `slotBytes` each, allocated once and reused, so that moving a batch costs
// one system call and no allocation. It makes the system calls itself, on a
// socket it is given, and reports errno: mapping errors, choosing a peer and
// decoding belong to the transport that uses it (UdpTransport's
// sendBatch()/receiveBatch(); rudp reads raw datagrams through it).
//
// Not thread safe: a sending thread and a receiving thread each use a batch
// of their own. Non-copyable (the kernel's headers point into the slots).
class DatagramBatch {
 public:
  // One datagram of the last receive, decoded in place: `payload` points
  // into the batch and is valid until the next receive into it.
  struct Received {
    Incoming::Kind kind = Incoming::Kind::kMessage;  // kMessage or kPlain
    wire::Header header;                             // kMessage only
    wire::ByteSpan payload;                          // the frame's payload, or a plain peer's bytes
    std::int64_t arrivalNs = 0;                      // arrivalNs(i) of its datagram
  };

  // `capacity` at least 1. A datagram larger than `slotBytes` cannot be
  // sent from this batch, and is counted malformed when received into it.
  DatagramBatch(std::size_t capacity, std::size_t slotBytes);
  DatagramBatch(const DatagramBatch&) = delete;
  DatagramBatch& operator=(const DatagramBatch&) = delete;

  std::size_t capacity() const { return capacity_; }
  std::size_t slotBytes() const { return slotBytes_; }

  // Sending. Frames are encoded into the slots one after another and sent,
  // in that order, by UdpTransport::sendBatch(), which clears the batch.
  //
  // Encodes a frame into the next free slot (header.payloadLength is taken
  // from `payload`). Returns false, adding nothing, when the batch is full;
  // throws TransportError kMessageTooLong when the frame is larger than a slot.
  bool add(const wire::Header& header, wire::ByteSpan payload);
  // Copies a datagram as it is (a relay's) into the next free slot. Returns
  // false, adding nothing, when the batch is full; throws TransportError
  // kMessageTooLong when it is larger than a slot.
  bool addDatagram(wire::ByteSpan datagram);
  std::size_t pending() const { return pending_; }
  bool full() const { return pending_ == capacity_; }
  void clear() { pending_ = 0; }
  // The size every pending frame has, or 0 when they differ.
  std::size_t uniformBytes() const { return uniform_ ? frameBytes_ : 0; }

  // Receiving. What the last UdpTransport::receiveBatch() read: the frames
  // and plain datagrams from the peer, in arrival order. Datagrams that
  // claimed to be frames and were not (or did not fit a slot) are left out
  // and counted in malformed(); datagrams from a source other than the peer
  // are left out and counted in strangers().
  std::span<const Received> received() const { return {received_.data(), receivedCount_}; }
  std::size_t datagrams() const { return datagrams_; }  // read from the socket, all kinds
  std::size_t malformed() const { return malformed_; }
  // Of those, the frames that were well formed but failed their CRC-32: bytes
  // changed on the way (a corrupting link), not a stranger's garbage.
  std::size_t corrupted() const { return corrupted_; }
  std::size_t strangers() const { return strangers_; }
  // wire::steadyNowNs() when the receive returned: the arrival time of every
  // datagram in it. 0 when nothing was read.
  std::int64_t arrivalNs() const { return arrivalNs_; }
  // When datagram i of the last receive reached its socket, on the same
  // clock: the kernel's stamp (see stampArrivals()), never later than
  // arrivalNs(); arrivalNs() when the datagram carried none.
  std::int64_t arrivalNs(std::size_t i) const;

  // Asks the kernel to stamp each datagram as socket `fd` queues it
  // (SO_TIMESTAMPNS) and makes every later receive into this batch, from any
  // socket, take the stamps: a reader that comes late still knows when each
  // datagram came. Returns false, changing nothing, when the kernel refuses.
  // The kernel may switch stamping on a moment later (when no socket on the
  // machine had asked before); a datagram queued until then is stamped as
  // it is read, so its stamp is late, never early.
  bool stampArrivals(int fd);

  // The system calls, on the socket `fd`.
  //
  // sendmmsg(2) of the pending frames from `first` on, to the socket's
  // connected peer. Returns how many went, or -1 with errno set.
  int sendPending(int fd, std::size_t first);
  // The same to `to`, from a socket that is not connected.
  int sendPendingTo(int fd, std::size_t first, const SourceAddress& to);
  // All pending frames, each `uniformBytes()` long, as one UDP GSO sendmsg
  // (UDP_SEGMENT). Returns the bytes sent, or -1 with errno set.
  long sendSegmented(int fd);
  // Forgets the last receive, then one recvmmsg(2) of what is queued,
  // without waiting (MSG_DONTWAIT). Returns the datagrams read (also in
  // datagrams(), arrival time stamped), or -1 with errno set.
  int receiveQueued(int fd);
  // The same, but waits for the first datagram as a blocking read of `fd`
  // does (up to its SO_RCVTIMEO), then takes what else is queued
  // (MSG_WAITFORONE): one system call for a server that answers each
  // datagram as it comes.
  int receiveWaiting(int fd);

  // The raw datagrams of the last receiveQueued(), i < datagrams().
  wire::ByteSpan datagram(std::size_t i) const;
  SourceAddress source(std::size_t i) const;
  // source(i) == who, without copying the name.
  bool cameFrom(std::size_t i, const SourceAddress& who) const;
  bool truncated(std::size_t i) const;  // larger than a slot: cut short by the kernel

  // How the user of the batch sorts what it read: each datagram is kept (a
  // view into its slot), counted malformed, or counted a stranger's.
  void keep(const Received& datagram) { received_[receivedCount_++] = datagram; }
  void countMalformed() { ++malformed_; }
  void countCorrupted() { ++corrupted_; }  // besides countMalformed()
  void countStranger() { ++strangers_; }

 private:
  std::uint8_t* slot(std::size_t i) { return storage_.get() + i * stride_; }
  const std::uint8_t* slot(std::size_t i) const { return storage_.get() + i * stride_; }
  // Points every header at a whole slot and a source name, for recvmmsg.
  void prepareReceive();
  // Points the first pending() headers at their frames and at `to` (none:
  // the socket is connected), without control messages, for sendmmsg.
  void prepareSend(const SourceAddress* to);
  int sendFrom(int fd, std::size_t first, const SourceAddress* to);  // one sendmmsg(2)
  int receiveWith(int fd, int flags);                                // one recvmmsg(2)
  void commitPending(std::size_t size);  // the next slot now holds `size` bytes to send
  void readStamps();                     // arrival stamps of the datagrams just read

  std::size_t capacity_;
  std::size_t slotBytes_;
  std::size_t stride_;
  std::unique_ptr<std::uint8_t[]> storage_;
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iov_;
  std::vector<sockaddr_storage> names_;
  std::vector<Received> received_;
  // With stampArrivals(): each header's control buffer, and the stamps read.
  struct alignas(cmsghdr) Control {
    char bytes[128];  // the stamp, and room for any other message a socket adds
  };
  std::vector<Control> controls_;
  std::vector<std::int64_t> stamps_;

  std::size_t pending_ = 0;     // sending: frames encoded, not yet sent
  std::size_t dirty_ = 0;       // headers [0, dirty_) changed since prepareReceive()
  std::size_t frameBytes_ = 0;  // sending: the size of the first pending frame
  bool uniform_ = true;         // sending: every pending frame has that size
  std::size_t receivedCount_ = 0;
  std::size_t datagrams_ = 0;
  std::size_t malformed_ = 0;
  std::size_t corrupted_ = 0;
  std::size_t strangers_ = 0;
  std::int64_t arrivalNs_ = 0;
};

}  // namespace pigeon::transport
