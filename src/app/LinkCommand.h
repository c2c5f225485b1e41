#pragma once

#include "app/Subcommand.h"
#include "link/LinkRelay.h"

namespace pigeon::app {

// `pigeon link`: a user-space impairment relay between a UDP client and a
// UDP target (loss, burst loss, delay, jitter, reorder, duplicate, corrupt,
// rate). Reads options and the SPEC, runs a link::LinkRelay until SIGINT or
// SIGTERM, then prints what it did to each direction on stderr.
class LinkCommand : public Subcommand {
 public:
  LinkCommand();

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  link::LinkSpec readSpec(const std::vector<std::string>& args) const;
  std::unique_ptr<link::LinkRelay> openRelay(const link::LinkSpec& spec,
                                             const Poco::Net::SocketAddress& target) const;
};

}  // namespace pigeon::app
