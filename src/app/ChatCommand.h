#pragma once

#include "app/Subcommand.h"
#include "chat/ChatSession.h"
#include "transport/Transport.h"

#include <atomic>
#include <memory>

namespace pigeon::app {

// `pigeon chat`: one-to-one chat over udp or tcp, listening or connecting.
// Reads options, opens the transport, and runs a ChatSession with the
// network on its own thread while this thread reads stdin.
class ChatCommand : public Subcommand {
 public:
  ChatCommand();

 protected:
  void defineSubcommandOptions(Poco::Util::OptionSet& options) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  std::unique_ptr<transport::Transport> open(transport::TransportKind kind, bool listening,
                                             chat::ChatOutput& output);
  // Runs the chat until it ends, /quit, the end of stdin or `interrupted`
  // (the signal that came, or 0).
  int converse(chat::ChatSession& session, transport::Transport& transport,
               chat::ChatOutput& output, const std::atomic<int>& interrupted);
};

}  // namespace pigeon::app
