#pragma once

#include <Poco/Net/SocketAddress.h>

#include <cstddef>
#include <optional>

namespace pigeon::filexfer {

// The MTU of the route to `peer` as the kernel knows it (IP_MTU / IPV6_MTU
// of a UDP socket connected to it: the route's MTU, or a smaller path MTU
// the kernel has learnt). Sends nothing. nullopt where the kernel does not
// say (no route, no such option).
std::optional<std::size_t> pathMtuBytes(const Poco::Net::SocketAddress& peer);

// The chunk for a file over a transport whose packets are UDP datagrams:
// `defaultChunk`, or less where one chunk of it would not fit one IP packet
// of `mtuBytes`. A larger datagram crosses a real or `pigeon lab` link as
// IP fragments, and one lost fragment loses the whole chunk (at 5 % loss
// per packet a 32 KiB chunk, 23 fragments, is lost 69 % of the time).
// Never below kMinChunkBytes (a path that small fragments whatever we do).
std::size_t chunkForUdpPath(std::size_t defaultChunk, std::optional<std::size_t> mtuBytes,
                            bool ipv6);

}  // namespace pigeon::filexfer
