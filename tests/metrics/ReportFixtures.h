#pragma once

#include "metrics/RunInfo.h"
#include "metrics/TransportResult.h"

#include <vector>

namespace pigeon::metrics::testing {

// Two results as a bench run would give them: UDP with loss and no
// transport facts, TCP with retransmits and a congestion control.
inline std::vector<TransportResult> sampleResults() {
  TransportResult udp;
  udp.transport = "udp";
  udp.sent = 1000;
  udp.delivered = 950;
  udp.lost = 50;
  udp.duplicates = 3;
  udp.reordered = 7;
  udp.reorderExtent = 2;
  udp.late = 4;
  udp.latencyUs = LatencySummary{10.0, 20.5, 30.0, 40.0, 50.0, 60.0, 22.25};
  udp.jitterUs = 1.5;
  udp.ipdvUs = 2.5;
  udp.ipdvP99Us = 9.0;
  udp.throughputMbps = 8.25;
  udp.goodputMbps = 7.75;
  udp.elapsedS = 1.0;
  udp.deliveredPerS = 950.0;
  udp.metImpairedLink = true;

  TransportResult tcp = udp;
  tcp.transport = "tcp";
  tcp.delivered = 1000;
  tcp.lost = 0;
  tcp.socketDrops = 0;
  tcp.retransmits = 61;
  tcp.congestionControl = "cubic";
  tcp.counters["segments_out"] = 1061;
  return {udp, tcp};
}

inline RunInfo sampleRun() {
  RunInfo run;
  run.settings = {{"messages", "1000"}, {"loss", "5%"}};
  run.version = "0.1.0";
  run.host = "lab-host";
  run.timestamp = "2024-01-02T03:04:05Z";
  return run;
}

}  // namespace pigeon::metrics::testing
