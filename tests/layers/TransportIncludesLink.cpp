// Must not compile: see tests/layers/CMakeLists.txt. link/ stands above
// transport/ (docs/architecture.md, "Why link sits above transport").
#include "link/LinkRelay.h"
