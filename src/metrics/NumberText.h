#pragma once

#include <string>

namespace pigeon::metrics {

// A number as people type it: 20000000, 0.5, 2.25, never 2e+07, because a
// rate or a range printed back is read and typed again. Whole numbers up to
// 1e15 keep every digit; beyond that (or for fractions finer than 15
// significant digits) the shortest %g form is the honest one.
std::string plainNumber(double v);

}  // namespace pigeon::metrics
