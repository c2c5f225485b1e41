#include "transport/Endpoint.h"
#include "transport/TransportError.h"

#include <Poco/Net/IPAddress.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace pigeon::transport;
using Code = TransportError::Code;
using Poco::Net::IPAddress;
using Poco::Net::SocketAddress;

namespace {

// The message parse() gives for `text`, or "" if it parses.
std::string parseError(const std::string& text) {
  try {
    Endpoint::parse(text);
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kBadAddress) << text;
    return e.what();
  }
  return "";
}

std::string portError(const std::string& text) {
  try {
    parsePort(text);
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kBadAddress) << text;
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Endpoint, ParsesAnIPv4AddressAndPort) {
  const Endpoint e = Endpoint::parse("127.0.0.1:9000");
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 9000);
  EXPECT_EQ(e.toString(), "127.0.0.1:9000");
}

TEST(Endpoint, ParsesAHostNameAndPort) {
  const Endpoint e = Endpoint::parse("localhost:9000");
  EXPECT_EQ(e.host, "localhost");
  EXPECT_EQ(e.port, 9000);
  EXPECT_EQ(e.toString(), "localhost:9000");
}

TEST(Endpoint, ParsesABracketedIPv6AddressAndPort) {
  const Endpoint e = Endpoint::parse("[::1]:9000");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 9000);
  EXPECT_EQ(e.toString(), "[::1]:9000");
  EXPECT_EQ(Endpoint::parse("[fe80::1:2]:0").host, "fe80::1:2");
}

TEST(Endpoint, ParsesTheExtremePorts) {
  EXPECT_EQ(Endpoint::parse("h:0").port, 0);
  EXPECT_EQ(Endpoint::parse("h:65535").port, 65535);
}

TEST(Endpoint, RejectsTextWithoutAPort) {
  const std::string m = parseError("localhost");
  EXPECT_NE(m.find("'localhost' is not HOST:PORT"), std::string::npos) << m;
  EXPECT_NE(parseError("").find("is not HOST:PORT"), std::string::npos);
}

TEST(Endpoint, RejectsAnUnbracketedIPv6Address) {
  const std::string m = parseError("::1:9000");
  EXPECT_NE(m.find("'::1:9000' is not HOST:PORT"), std::string::npos) << m;
  EXPECT_NE(m.find("[::1]:9000"), std::string::npos) << m;  // shows the right form
}

TEST(Endpoint, RejectsABadlyBracketedIPv6Address) {
  for (const char* text : {"[::1", "[::1]", "[::1]9000", "[::1]x:9000"}) {
    const std::string m = parseError(text);
    EXPECT_NE(m.find("is not [IPv6]:PORT"), std::string::npos) << text << ": " << m;
  }
}

TEST(Endpoint, RejectsAMissingHost) {
  EXPECT_NE(parseError(":9000").find("':9000' has no host"), std::string::npos);
  EXPECT_NE(parseError("[]:9000").find("has no host"), std::string::npos);
}

TEST(Endpoint, RejectsABadPort) {
  for (const char* text : {"host:", "host:65536", "host:-1", "host:9x", "host: 90", "host:http",
                           "[::1]:", "[::1]:99999"}) {
    const std::string m = parseError(text);
    EXPECT_NE(m.find("is not a port number (0-65535)"), std::string::npos) << text << ": " << m;
  }
}

TEST(Endpoint, ParsesPortNumbers) {
  EXPECT_EQ(parsePort("0"), 0);
  EXPECT_EQ(parsePort("9000"), 9000);
  EXPECT_EQ(parsePort("65535"), 65535);
  EXPECT_EQ(parsePort("007"), 7);
}

TEST(Endpoint, RejectsBadPortNumbersNamingTheText) {
  EXPECT_EQ(portError("65536"), "'65536' is not a port number (0-65535)");
  for (const char* text : {"", "-1", "+1", "1.5", "99999999999999999999", "12ab", " 1", "1 "}) {
    EXPECT_NE(portError(text), "") << "'" << text << "'";
  }
}

TEST(Endpoint, ResolvesAddressLiteralsWithoutTheResolver) {
  const SocketAddress v4 = Endpoint::parse("127.0.0.1:9000").resolve();
  EXPECT_EQ(v4.host().toString(), "127.0.0.1");
  EXPECT_EQ(v4.port(), 9000);
  const SocketAddress v6 = Endpoint::parse("[::1]:9001").resolve();
  EXPECT_EQ(v6.family(), SocketAddress::IPv6);
  EXPECT_EQ(v6.port(), 9001);
}

TEST(Endpoint, ResolvesLocalhostToIPv4) {
  const SocketAddress a = Endpoint::parse("localhost:9000").resolve();
  EXPECT_EQ(a.family(), SocketAddress::IPv4);
  EXPECT_TRUE(a.host().isLoopback());
  EXPECT_EQ(a.port(), 9000);
}

TEST(Endpoint, SaysWhenAHostIsNotFound) {
  try {
    Endpoint::parse("no-such-host.invalid:9000").resolve();
    FAIL() << "resolved an .invalid name";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kHostNotFound);
    EXPECT_STREQ(e.what(), "host not found: no-such-host.invalid");
  }
}

TEST(Endpoint, FormatsIPv4AndIPv6Addresses) {
  EXPECT_EQ(formatAddress(SocketAddress("127.0.0.1", 9000)), "127.0.0.1:9000");
  EXPECT_EQ(formatAddress(SocketAddress("::1", 9000)), "[::1]:9000");
  EXPECT_EQ(formatAddress(SocketAddress("fe80::1", 80)), "[fe80::1]:80");
}

TEST(Endpoint, FormatsAnIPv4MappedAddressAsIPv4) {
  const SocketAddress mapped(IPAddress("::ffff:192.0.2.7"), 4242);
  ASSERT_TRUE(mapped.host().isIPv4Mapped());
  EXPECT_EQ(formatAddress(mapped), "192.0.2.7:4242");
}

// The one listening rule chat, echo and link share: every address, and
// IPv4's wildcard where the host has no IPv6.
TEST(ListenWithFallback, TakesIpv4sWildcardWhereTheHostHasNoIpv6) {
  std::vector<SocketAddress> tried;
  const SocketAddress got = listenWithFallback("", 9000, [&](const SocketAddress& at) {
    tried.push_back(at);
    if (at.family() == SocketAddress::IPv6) {
      throw TransportError(Code::kFamilyNotSupported, "no IPv6 here");
    }
    return at;
  });
  ASSERT_EQ(tried.size(), 2u);
  EXPECT_TRUE(tried[0].host().isWildcard());
  EXPECT_EQ(tried[0].family(), SocketAddress::IPv6);
  EXPECT_EQ(got.family(), SocketAddress::IPv4);
  EXPECT_TRUE(got.host().isWildcard());
  EXPECT_EQ(got.port(), 9000);
}

TEST(ListenWithFallback, AlsoFallsBackWhenPocoSaysTheFamilyIsMissing) {
  int calls = 0;
  listenWithFallback("", 0, [&](const SocketAddress& at) {
    ++calls;
    if (at.family() == SocketAddress::IPv6) throw Poco::IOException("no IPv6", EAFNOSUPPORT);
    return 0;
  });
  EXPECT_EQ(calls, 2);
}

TEST(ListenWithFallback, PassesOtherErrorsOnAndNeverRewritesAnAddressTheUserGave) {
  int calls = 0;
  const auto inUse = [&](const SocketAddress&) -> int {
    ++calls;
    throw TransportError(Code::kAddressInUse, "port in use");
  };
  EXPECT_THROW(listenWithFallback("", 9000, inUse), TransportError);
  EXPECT_EQ(calls, 1);  // a port in use is not a missing family
  calls = 0;
  const auto noFamily = [&](const SocketAddress&) -> int {
    ++calls;
    throw TransportError(Code::kFamilyNotSupported, "no IPv6 here");
  };
  EXPECT_THROW(listenWithFallback("::1", 9000, noFamily), TransportError);
  EXPECT_EQ(calls, 1);  // --bind ::1 means ::1
}
