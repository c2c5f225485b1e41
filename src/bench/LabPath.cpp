#include "bench/LabPath.h"

#include "lab/CounterFields.h"
#include "link/LinkSpec.h"

namespace pigeon::bench {

LabPath::LabPath(const std::string& spec) : lab_(link::LinkSpec::parse(spec)) {
  lab_.start();
  deviceDropsAtReset_ = lab_.deviceDrops();
}

Poco::Net::SocketAddress LabPath::farAddress() const {
  return Poco::Net::SocketAddress(lab::LabLink::kFarAddress, 0);
}

void LabPath::reset() {
  lab_.resetCounters();
  deviceDropsAtReset_ = lab_.deviceDrops();
}

void LabPath::addFacts(metrics::TransportResult& result) {
  using Direction = lab::Emulator::Direction;
  for (const auto& [prefix, direction] :
       {std::pair{"lab_up_", Direction::kUp}, std::pair{"lab_down_", Direction::kDown}}) {
    for (const auto& [name, value] : lab::counterFields(lab_.counters(direction))) {
      result.counters[prefix + name] = value;
    }
  }
  result.counters["lab_device_drops"] = lab_.deviceDrops() - deviceDropsAtReset_;
  if (const std::string error = lab_.error(); !error.empty()) {
    throw std::runtime_error(error);
  }
}

}  // namespace pigeon::bench
