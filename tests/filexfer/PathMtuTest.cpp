#include "filexfer/FileOffer.h"
#include "filexfer/FileSender.h"  // kDefaultChunkBytes
#include "filexfer/PathMtu.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

using pigeon::filexfer::chunkForUdpPath;
using pigeon::filexfer::kDefaultChunkBytes;

TEST(PathMtu, FitsAChunkIntoOneIpPacketOfThePath) {
  // 1500 - 20 IPv4 - 8 UDP - 60 (rudp's header, data prefix and CRC)
  EXPECT_EQ(chunkForUdpPath(kDefaultChunkBytes, 1500, false), 1412u);
  EXPECT_EQ(chunkForUdpPath(kDefaultChunkBytes, 1500, true), 1392u);  // 40-byte IPv6 header
  EXPECT_EQ(chunkForUdpPath(kDefaultChunkBytes, 65536, false), kDefaultChunkBytes);  // loopback
  EXPECT_EQ(chunkForUdpPath(kDefaultChunkBytes, std::nullopt, false), kDefaultChunkBytes);
  EXPECT_EQ(chunkForUdpPath(kDefaultChunkBytes, 576, false), pigeon::filexfer::kMinChunkBytes);
  EXPECT_EQ(chunkForUdpPath(kDefaultChunkBytes, 10, false), pigeon::filexfer::kMinChunkBytes);
}

TEST(PathMtu, ReadsTheLoopbackRoutesMtuFromTheKernel) {
  std::ifstream file("/sys/class/net/lo/mtu");
  std::size_t loMtu = 0;
  if (!(file >> loMtu)) GTEST_SKIP() << "no /sys/class/net/lo/mtu";
  const auto mtu = pigeon::filexfer::pathMtuBytes(Poco::Net::SocketAddress("127.0.0.1", 9));
  ASSERT_TRUE(mtu.has_value());
  EXPECT_EQ(*mtu, std::min<std::size_t>(loMtu, 65535));  // the kernel's IP_MAX_MTU
  EXPECT_EQ(chunkForUdpPath(kDefaultChunkBytes, mtu, false), kDefaultChunkBytes);
}
