#pragma once

#include "app/Subcommand.h"

namespace pigeon::app {

// `pigeon room`: serves a chat room (room::RoomServer) until interrupted,
// then prints its counters. Members join with `pigeon chat --room` or nc.
class RoomCommand : public Subcommand {
 public:
  RoomCommand();

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;
};

}  // namespace pigeon::app
