#include "transport/DatagramBatch.h"

#include "transport/TransportError.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <string>

namespace pigeon::transport {

namespace {
constexpr std::size_t kCacheLine = 64;

// Each slot starts on its own cache line, and slots a multiple of a page
// apart are moved by one line so that their headers do not all fall in the
// same cache sets.
std::size_t strideFor(std::size_t slotBytes) {
  std::size_t stride = (slotBytes + kCacheLine - 1) / kCacheLine * kCacheLine;
  if (stride % 4096 == 0) stride += kCacheLine;
  return stride;
}
}  // namespace

DatagramBatch::DatagramBatch(std::size_t capacity, std::size_t slotBytes)
    : capacity_(std::max<std::size_t>(1, capacity)),
      slotBytes_(std::max<std::size_t>(1, slotBytes)),
      stride_(strideFor(slotBytes_)),
      storage_(std::make_unique_for_overwrite<std::uint8_t[]>(capacity_ * stride_)),
      headers_(capacity_),
      iov_(capacity_),
      names_(capacity_),
      received_(capacity_) {
  for (std::size_t i = 0; i < capacity_; ++i) {
    iov_[i].iov_base = slot(i);
    headers_[i] = mmsghdr{};
    headers_[i].msg_hdr.msg_iov = &iov_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
  dirty_ = capacity_;
  prepareReceive();
}

bool DatagramBatch::add(const wire::Header& header, wire::ByteSpan payload) {
  if (full()) return false;
  const std::size_t size = wire::encodedSize(payload.size(), header.hasCrc());
  if (size > slotBytes_) {
    throw TransportError(TransportError::Code::kMessageTooLong,
                         "frame of " + std::to_string(size) +
                             " bytes does not fit a batch slot of " + std::to_string(slotBytes_));
  }
  wire::encodeInto(header, payload, {slot(pending_), size});
  commitPending(size);
  return true;
}

bool DatagramBatch::addDatagram(wire::ByteSpan datagram) {
  if (full()) return false;
  if (datagram.size() > slotBytes_) {
    throw TransportError(TransportError::Code::kMessageTooLong,
                         "datagram of " + std::to_string(datagram.size()) +
                             " bytes does not fit a batch slot of " + std::to_string(slotBytes_));
  }
  if (!datagram.empty()) std::memcpy(slot(pending_), datagram.data(), datagram.size());
  commitPending(datagram.size());
  return true;
}

void DatagramBatch::commitPending(std::size_t size) {
  iov_[pending_].iov_len = size;
  if (pending_ == 0) {
    frameBytes_ = size;
    uniform_ = true;
  } else if (size != frameBytes_) {
    uniform_ = false;
  }
  ++pending_;
  dirty_ = std::max(dirty_, pending_);
}

void DatagramBatch::prepareSend(const SourceAddress* to) {
  for (std::size_t i = 0; i < pending_; ++i) {
    msghdr& m = headers_[i].msg_hdr;
    m.msg_name = to != nullptr ? const_cast<sockaddr*>(to->name()) : nullptr;
    m.msg_namelen = to != nullptr ? to->length() : 0;
    m.msg_control = nullptr;
    m.msg_controllen = 0;
    m.msg_flags = 0;
  }
}

void DatagramBatch::prepareReceive() {
  receivedCount_ = 0;
  datagrams_ = 0;
  malformed_ = 0;
  corrupted_ = 0;
  strangers_ = 0;
  arrivalNs_ = 0;
  pending_ = 0;
  // Only the headers a send or receive changed since the last reset.
  for (std::size_t i = 0; i < dirty_; ++i) {
    iov_[i].iov_len = slotBytes_;
    msghdr& m = headers_[i].msg_hdr;
    m.msg_name = &names_[i];
    m.msg_namelen = sizeof(sockaddr_storage);
    m.msg_control = controls_.empty() ? nullptr : controls_[i].bytes;
    m.msg_controllen = controls_.empty() ? 0 : sizeof(Control::bytes);
    m.msg_flags = 0;
    headers_[i].msg_len = 0;
  }
  dirty_ = 0;
}

int DatagramBatch::sendPending(int fd, std::size_t first) { return sendFrom(fd, first, nullptr); }

int DatagramBatch::sendPendingTo(int fd, std::size_t first, const SourceAddress& to) {
  return sendFrom(fd, first, &to);
}

int DatagramBatch::sendFrom(int fd, std::size_t first, const SourceAddress* to) {
  if (first == 0) prepareSend(to);
  if (first >= pending_) return 0;
  int n = 0;
  do {
    n = ::sendmmsg(fd, &headers_[first], static_cast<unsigned>(pending_ - first), 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

long DatagramBatch::sendSegmented(int fd) {
  const std::size_t size = uniformBytes();
  msghdr m{};
  m.msg_iov = iov_.data();
  m.msg_iovlen = pending_;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto segment = static_cast<std::uint16_t>(size);
  std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
  ssize_t n = 0;
  do {
    n = ::sendmsg(fd, &m, 0);
  } while (n < 0 && errno == EINTR);
  return static_cast<long>(n);
}

int DatagramBatch::receiveQueued(int fd) { return receiveWith(fd, MSG_DONTWAIT); }

int DatagramBatch::receiveWaiting(int fd) { return receiveWith(fd, MSG_WAITFORONE); }

int DatagramBatch::receiveWith(int fd, int flags) {
  prepareReceive();
  int n = 0;
  do {
    n = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(capacity_), flags, nullptr);
  } while (n < 0 && errno == EINTR && flags == MSG_DONTWAIT);
  if (n <= 0) return n;
  arrivalNs_ = wire::steadyNowNs();
  datagrams_ = static_cast<std::size_t>(n);
  dirty_ = datagrams_;
  if (!controls_.empty()) readStamps();
  return n;
}

bool DatagramBatch::stampArrivals(int fd) {
  const int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) return false;
  if (controls_.empty()) {
    controls_.resize(capacity_);
    stamps_.resize(capacity_);
    dirty_ = capacity_;  // the next receive points every header at its control buffer
  }
  return true;
}

void DatagramBatch::readStamps() {
  // The kernel stamps on the realtime clock; the batch's clock is the steady
  // one. Their difference, taken now, turns one into the other (a step of
  // the realtime clock while a datagram waited moves its stamp: hence the
  // clamp to the read).
  const std::int64_t steadyMinusRealNs = wire::steadyMinusRealNs();
  for (std::size_t i = 0; i < datagrams_; ++i) {
    stamps_[i] = arrivalNs_;
    msghdr& m = headers_[i].msg_hdr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS ||
          c->cmsg_len < CMSG_LEN(sizeof(timespec))) {
        continue;
      }
      timespec stamp{};
      std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
      const std::int64_t ns =
          std::int64_t{stamp.tv_sec} * 1'000'000'000 + stamp.tv_nsec + steadyMinusRealNs;
      stamps_[i] = std::min(ns, arrivalNs_);
    }
  }
}

std::int64_t DatagramBatch::arrivalNs(std::size_t i) const {
  return !stamps_.empty() && i < datagrams_ ? stamps_[i] : arrivalNs_;
}

wire::ByteSpan DatagramBatch::datagram(std::size_t i) const {
  return {slot(i), std::min<std::size_t>(headers_[i].msg_len, slotBytes_)};
}

SourceAddress DatagramBatch::source(std::size_t i) const {
  return {reinterpret_cast<const sockaddr*>(&names_[i]), headers_[i].msg_hdr.msg_namelen};
}

bool DatagramBatch::cameFrom(std::size_t i, const SourceAddress& who) const {
  return who.is(reinterpret_cast<const sockaddr*>(&names_[i]), headers_[i].msg_hdr.msg_namelen);
}

bool DatagramBatch::truncated(std::size_t i) const {
  return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

}  // namespace pigeon::transport
