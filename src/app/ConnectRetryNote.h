#pragma once

#include <Poco/Net/SocketAddress.h>

#include <cstdint>
#include <string>

namespace pigeon::app {

// What a command says when its rudp Connect had no answer and went again,
// so a connect through a lossy link or to a silent port is not a silent
// wait: "no answer from 127.0.0.1:9 yet: connect sent again (2 sent, next
// in 1000 ms; giving up after 10 s)".
std::string connectRetryNote(const Poco::Net::SocketAddress& peer, int sends,
                             std::int64_t nextWaitNs);

}  // namespace pigeon::app
