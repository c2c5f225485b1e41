#include "app/ChatCommand.h"

namespace pigeon::app {

ChatCommand::ChatCommand()
    : Subcommand("chat", "--transport udp|tcp (--listen PORT | --peer HOST:PORT) [OPTIONS]",
                 "One-to-one chat.") {}

void ChatCommand::defineSubcommandOptions(Poco::Util::OptionSet&) {}

int ChatCommand::execute(const std::vector<std::string>&) { return EXIT_OK; }

}  // namespace pigeon::app
