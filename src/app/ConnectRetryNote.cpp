#include "app/ConnectRetryNote.h"

#include "transport/Endpoint.h"
#include "transport/TransportFactory.h"

namespace pigeon::app {

std::string connectRetryNote(const Poco::Net::SocketAddress& peer, int sends,
                             std::int64_t nextWaitNs) {
  return "no answer from " + transport::formatAddress(peer) + " yet: connect sent again (" +
         std::to_string(sends) + " sent, next in " + std::to_string(nextWaitNs / 1'000'000) +
         " ms; giving up after " +
         std::to_string(transport::kDefaultConnectTimeout.totalSeconds()) + " s)";
}

}  // namespace pigeon::app
