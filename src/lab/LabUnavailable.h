#pragma once

#include <stdexcept>
#include <string>

namespace pigeon::lab {

// The lab cannot be built on this machine (not a failure of the lab): what
// is missing and how to get it, in one line.
class LabUnavailable : public std::runtime_error {
 public:
  enum class Reason {
    kNoPermission,  // not root / no CAP_NET_ADMIN
    kMissing,       // no /dev/net/tun, no `ip`, no network namespaces
    kNoNetem,       // --engine netem on a kernel without the netem qdisc
  };
  LabUnavailable(Reason reason, const std::string& what)
      : std::runtime_error(what), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

}  // namespace pigeon::lab
