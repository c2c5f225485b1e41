#pragma once

#include "link/LinkRelay.h"
#include "link/LinkSpec.h"
#include "metrics/TransportResult.h"

#include <Poco/Net/SocketAddress.h>

#include <cstdint>

namespace pigeon::bench {

// The link relay of a run, started with big socket buffers, and what it did:
// loss on the modelled link is told apart from loss in the relay itself (a
// sender faster than the relay: its socket buffers or its backlog overflow).
class ImpairedPath {
 public:
  // The relay listens on 127.0.0.1, a port the kernel picks; its sockets
  // get `bufferBytes` of receive buffer.
  ImpairedPath(const link::LinkSpec& spec, const Poco::Net::SocketAddress& target, int bufferBytes);
  ~ImpairedPath() { relay_.stop(); }
  ImpairedPath(const ImpairedPath&) = delete;
  ImpairedPath& operator=(const ImpairedPath&) = delete;

  Poco::Net::SocketAddress address() const { return relay_.address(); }

  // `perDirection`: the data dropped each way too (echo runs, where the
  // way out and the way back are told apart).
  void addFacts(metrics::TransportResult& result, bool perDirection = false);

 private:
  std::uint64_t socketDrops() const;

  link::LinkRelay relay_;
  std::uint64_t dropsAtStart_ = 0;
};

}  // namespace pigeon::bench
