// Must not compile: see tests/layers/CMakeLists.txt.
#include "app/Subcommand.h"
