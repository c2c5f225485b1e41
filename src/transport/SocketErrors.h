#pragma once

#include "transport/TransportError.h"

#include <Poco/Exception.h>

#include <string>

namespace pigeon::transport {

// Turns what Poco threw for a socket call into a TransportError whose message
// a person can act on. `what` names the action and address, e.g.
// "bind udp 0.0.0.0:9000".
TransportError translateSocketError(const Poco::Exception& e, const std::string& what);

}  // namespace pigeon::transport
