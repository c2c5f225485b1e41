#pragma once

#include <Poco/Timespan.h>

#include <cstddef>

namespace pigeon::transport {

class DatagramBatch;

// The batched fast path of a datagram transport (sendmmsg/recvmmsg, UDP
// GSO), for a bench at full speed. Asked for through
// Transport::batchedIo(); same threading rules as sendMessage and receive.
class BatchedDatagramIo {
 public:
  virtual ~BatchedDatagramIo() = default;

  // Sends every frame of `batch`, in order, with as few system calls as the
  // kernel allows, then clears it. Throws TransportError like sendMessage();
  // frames before the one that failed may have gone out.
  virtual void sendBatch(DatagramBatch& batch) = 0;

  // With segmentation on, a batch of equal-size frames goes to the kernel as
  // one UDP GSO send, cut into one datagram per frame; where the kernel
  // refuses, sendBatch falls back to sendmmsg. Off by default.
  virtual void setSegmentation(bool on) = 0;

  // Waits up to `timeout` (0: only looks), then reads every datagram queued,
  // up to the batch's capacity, and decodes them in place. Returns how many
  // were read: 0 when none came in time. Throws TransportError like receive().
  virtual std::size_t receiveBatch(DatagramBatch& batch, Poco::Timespan timeout) = 0;
};

}  // namespace pigeon::transport
