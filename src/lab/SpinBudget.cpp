#include "lab/SpinBudget.h"

namespace pigeon::lab {

bool SpinBudget::spin(std::int64_t nowNs, bool wants) {
  if (spinning_ && nowNs > lastNs_) spentNs_ += nowNs - lastNs_;
  if (nowNs - windowStartNs_ >= kWindowNs || nowNs < windowStartNs_) {
    windowStartNs_ = nowNs;
    spentNs_ = 0;
  }
  lastNs_ = nowNs;
  spinning_ = wants && spentNs_ * kShareDen < kWindowNs * kShareNum;
  return spinning_;
}

}  // namespace pigeon::lab
