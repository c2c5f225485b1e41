// Must not compile: see tests/layers/CMakeLists.txt.
#include "link/LinkSpec.h"
