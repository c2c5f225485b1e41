#pragma once

#include "app/Subcommand.h"

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace pigeon::app {

struct SubcommandEntry {
  std::string_view name;
  std::string_view purpose;
  std::function<std::unique_ptr<Subcommand>()> make;
};

// Every subcommand pigeon has, in the order `pigeon --help` lists them.
const std::vector<SubcommandEntry>& subcommands();

}  // namespace pigeon::app
