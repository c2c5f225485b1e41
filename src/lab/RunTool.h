#pragma once

#include <string>
#include <vector>

namespace pigeon::lab {

struct ToolResult {
  int exitCode = -1;   // -1: it could not be started
  std::string output;  // stdout and stderr together, at most 64 KiB
};

// Runs a system tool (e.g. `ip netns add NAME`) found on PATH and waits for
// it; safe to call while other threads run (posix_spawnp).
ToolResult runTool(const std::vector<std::string>& argv);

// Runs it and throws std::runtime_error with its output if it fails.
std::string runToolOrThrow(const std::vector<std::string>& argv);

}  // namespace pigeon::lab
