// Must not compile: see tests/layers/CMakeLists.txt.
#include "bench/BenchSink.h"
