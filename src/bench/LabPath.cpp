#include "bench/LabPath.h"

#include "lab/CounterFields.h"
#include "link/LinkSpec.h"

namespace pigeon::bench {

namespace {

lab::LabOptions withEngine(lab::Engine engine) {
  lab::LabOptions options;
  options.engine = engine;
  return options;
}

}  // namespace

LabPath::LabPath(const std::string& spec, lab::Engine engine)
    : lab_(link::LinkSpec::parse(spec), withEngine(engine)) {
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
  // netem keeps its own books: the emulator's counters would only say 0.
  for (const auto& [prefix, direction] :
       {std::pair{"lab_up_", Direction::kUp}, std::pair{"lab_down_", Direction::kDown}}) {
    if (lab_.options().engine == lab::Engine::kNetem) break;
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
