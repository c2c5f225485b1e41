#pragma once

namespace pigeon::app {

// A server with a thousand connections needs more descriptors than the
// usual soft limit of 1024: raises the soft limit to the hard one.
void raiseFileLimit();

}  // namespace pigeon::app
