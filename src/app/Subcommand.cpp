#include "app/Subcommand.h"

#include "app/Subcommands.h"
#include "transport/TransportError.h"

#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>
#include <vector>

namespace pigeon::app {

using Poco::Util::Option;
using transport::TransportError;

namespace {
// "chat.port" -> "--port": errors name the option a person typed.
std::string optionName(const std::string& key) {
  const auto dot = key.rfind('.');
  return "--" + (dot == std::string::npos ? key : key.substr(dot + 1));
}

// Help fits the terminal it is shown on (at most 100 columns, at least 60),
// and 100 columns in a pipe or file.
int helpWidth() {
  winsize size{};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 &&
      size.ws_col > 0) {
    return std::clamp<int>(size.ws_col, 60, 100);
  }
  return 100;
}

// The usage line, wrapped only between its top-level groups: Poco's
// formatter wraps at any space, inside "[--arq NAME]" too.
std::string wrappedUsage(const std::string& command, const std::string& usage, int width) {
  std::vector<std::string> groups;
  int depth = 0;
  std::string group;
  for (const char c : usage) {
    if (c == ' ' && depth == 0) {
      if (!group.empty()) groups.push_back(group);
      group.clear();
      continue;
    }
    depth += (c == '[' || c == '(') ? 1 : (c == ']' || c == ')') ? -1 : 0;
    depth = std::max(depth, 0);  // a stray closer must not stop all wrapping
    group += c;
  }
  if (!group.empty()) groups.push_back(group);
  const std::string lead = "usage: " + command;
  const std::string indent(lead.size() + 1, ' ');
  std::string text = lead;
  std::size_t column = text.size();
  for (const std::string& g : groups) {
    if (column > indent.size() && column + 1 + g.size() > static_cast<std::size_t>(width)) {
      text += "\n" + indent + g;
      column = indent.size() + g.size();
    } else {
      text += " " + g;
      column += 1 + g.size();
    }
  }
  return text + "\n";
}

// Poco's formatter ends wrapped lines in the space it broke at.
std::string withoutTrailingSpaces(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    line.erase(line.find_last_not_of(' ') + 1);  // npos + 1 == 0: a line of spaces
    out += line + '\n';
  }
  return out;
}
}  // namespace

Subcommand::Subcommand(std::string name, std::string usage, std::string purpose)
    : name_(std::move(name)), usage_(std::move(usage)), purpose_(std::move(purpose)) {
  setUnixOptions(true);
}

void Subcommand::defineOptions(Poco::Util::OptionSet& options) {
  Application::defineOptions(options);
  options.addOption(
      Option("help", "h", "show this help and exit").required(false).repeatable(false));
  options.addOption(Option("config", "", "read settings from an INI or .properties file")
                        .required(false)
                        .repeatable(true)
                        .argument("FILE"));
  defineSubcommandOptions(options);
}

void Subcommand::handleOption(const std::string& name, const std::string& value) {
  Application::handleOption(name, value);
  if (name == "help") {
    helpRequested_ = true;
    stopOptionsProcessing();
  } else if (name == "config") {
    if (!Poco::File(value).exists()) {
      throw UsageError("cannot read config file '" + value + "': no such file");
    }
    try {
      // Settings given on the command line keep priority over the file.
      loadConfiguration(value, PRIO_DEFAULT);
    } catch (const Poco::Exception& e) {
      throw UsageError("cannot read config file '" + value + "': " + e.displayText());
    }
    checkConfigKeys(value);
  }
}

namespace {

// "listen" -> "--listen", "x" -> "-x": as the user would have typed it.
std::string typed(const std::string& name) { return (name.size() == 1 ? "-" : "--") + name; }

// Poco's option errors in pigeon's words: "Option must not be given more
// than once: listen" becomes "--listen given more than once".
std::string optionProblem(const Poco::Exception& e) {
  const std::string& what = e.message();
  if (dynamic_cast<const Poco::Util::UnknownOptionException*>(&e)) {
    return "unknown option " + typed(what);
  }
  if (dynamic_cast<const Poco::Util::DuplicateOptionException*>(&e)) {
    return typed(what) + " given more than once";
  }
  if (dynamic_cast<const Poco::Util::AmbiguousOptionException*>(&e)) {
    return typed(what) + " is ambiguous: it begins more than one option";
  }
  if (dynamic_cast<const Poco::Util::MissingArgumentException*>(&e)) {
    // "listen requires PORT"
    const auto space = what.find(' ');
    if (space != std::string::npos && what.compare(space, 10, " requires ") == 0) {
      return typed(what.substr(0, space)) + " needs " + what.substr(space + 10);
    }
  }
  if (dynamic_cast<const Poco::Util::UnexpectedArgumentException*>(&e)) {
    // "no-gso=3"
    const auto equals = what.find('=');
    if (equals != std::string::npos) {
      return typed(what.substr(0, equals)) + " takes no value, not '" + what.substr(equals + 1) +
             "'";
    }
  }
  return e.displayText();
}

void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& root,
                 std::vector<std::string>& out) {
  Poco::Util::AbstractConfiguration::Keys keys;
  config.keys(root, keys);
  if (keys.empty() && !root.empty()) out.push_back(root);
  for (const auto& key : keys) collectKeys(config, root.empty() ? key : root + "." + key, out);
}

}  // namespace

void Subcommand::checkConfigKeys(const std::string& path) const {
  // A typo in a lab's scenario file must not pass in silence: every key is
  // SUBCOMMAND.OPTION, and this subcommand's keys must be its options'.
  const std::string extension = Poco::Path(path).getExtension();
  Poco::AutoPtr<Poco::Util::AbstractConfiguration> file;
  if (extension == "ini") {
    file = new Poco::Util::IniFileConfiguration(path);
  } else if (extension == "properties") {
    file = new Poco::Util::PropertyFileConfiguration(path);
  } else {
    return;  // other formats: loaded as Poco loads them, not checked
  }
  std::set<std::string> bindings;
  for (const auto& option : options()) {
    if (!option.binding().empty()) bindings.insert(option.binding());
  }
  std::vector<std::string> keys;
  collectKeys(*file, "", keys);
  for (const auto& key : keys) {
    const auto dot = key.find('.');
    const std::string prefix = dot == std::string::npos ? "" : key.substr(0, dot);
    bool knownPrefix = false;
    for (const auto& entry : subcommands()) knownPrefix |= entry.name == prefix;
    if (!knownPrefix) {
      throw UsageError("config file '" + path + "': '" + key +
                       "' is not a setting pigeon knows (settings are named like " + name_ +
                       ".transport)");
    }
    if (prefix == name_ && !bindings.count(key)) {
      std::string known;
      for (const auto& b : bindings) known += (known.empty() ? "" : ", ") + b;
      throw UsageError("config file '" + path + "': unknown setting '" + key +
                       "' (known: " + known + ")");
    }
  }
}

int Subcommand::parse(const std::vector<std::string>& args) {
  try {
    init(args);
    return EXIT_OK;
  } catch (const UsageError& e) {
    report(e.what());
  } catch (const Poco::Exception& e) {
    // Poco's own wording ("Unknown option specified: cuont"), and where to
    // look, in the one line every pigeon error is.
    const std::string hint = unknownOptionHint();
    if (!hint.empty() && dynamic_cast<const Poco::Util::UnknownOptionException*>(&e)) {
      report(optionProblem(e) + ": " + hint);
    } else {
      report(optionProblem(e) + " ('pigeon " + name_ + " --help' lists the options)");
    }
  }
  return EXIT_USAGE;
}

void Subcommand::displayHelp() const {
  Poco::Util::HelpFormatter help(options());
  help.setCommand("pigeon " + name_);
  help.setHeader(purpose_);
  help.setUnixStyle(true);
  const int width = helpWidth();
  help.setWidth(width);
  std::ostringstream text;
  help.format(text);  // its first line, without a usage, is "usage: pigeon NAME"
  const std::string formatted = text.str();
  const auto firstEnd = formatted.find('\n');
  const std::string rest = firstEnd == std::string::npos ? "" : formatted.substr(firstEnd + 1);
  std::cout << wrappedUsage("pigeon " + name_, usage_, width) << withoutTrailingSpaces(rest);
}

int Subcommand::main(const std::vector<std::string>& args) {
  if (helpRequested_) {
    displayHelp();
    return EXIT_OK;
  }
  try {
    return execute(args);
  } catch (const UsageError& e) {
    report(e.what());
    return EXIT_USAGE;
  } catch (const TransportError& e) {
    report(e.what());
    return exitCodeFor(std::current_exception());
  } catch (const Poco::Exception& e) {
    report(e.displayText());
    return EXIT_SOFTWARE;
  } catch (const std::exception& e) {
    report(e.what());
    return EXIT_SOFTWARE;
  }
}

int Subcommand::exitCodeFor(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const UsageError&) {
    return EXIT_USAGE;
  } catch (const TransportError& e) {
    switch (e.code()) {
      case TransportError::Code::kBadAddress:
        return EXIT_USAGE;
      case TransportError::Code::kHostNotFound:
        return EXIT_NOHOST;
      case TransportError::Code::kAddressInUse:
      case TransportError::Code::kAddressNotAvailable:
      case TransportError::Code::kFamilyNotSupported:
        return EXIT_OSERR;
      case TransportError::Code::kConnectionRefused:
      case TransportError::Code::kTimedOut:
      case TransportError::Code::kPeerClosed:
        return EXIT_UNAVAILABLE;
      case TransportError::Code::kMessageTooLong:
        return EXIT_DATAERR;
      case TransportError::Code::kProtocol:
        return EXIT_PROTOCOL;
      case TransportError::Code::kOther:
        return EXIT_IOERR;
    }
    return EXIT_IOERR;
  } catch (...) {
    return EXIT_SOFTWARE;
  }
}

void Subcommand::report(const std::string& message) const {
  std::cerr << "pigeon " << name_ << ": " << message << '\n';
}

bool Subcommand::hasSetting(const std::string& key) const { return config().hasProperty(key); }

std::string Subcommand::setting(const std::string& key, const std::string& fallback) const {
  return config().getString(key, fallback);
}

bool Subcommand::flag(const std::string& key) const {
  if (!config().hasProperty(key)) return false;
  const std::string value = config().getString(key);
  if (value.empty()) return true;  // a bound flag given on the command line
  bool result = false;
  if (!Poco::NumberParser::tryParseBool(value, result)) {
    throw UsageError(optionName(key) + " must be true or false, not '" + value + "'");
  }
  return result;
}

long Subcommand::integerSetting(const std::string& key, long fallback, long min, long max) const {
  if (!config().hasProperty(key)) return fallback;
  const std::string text = config().getString(key);
  Poco::Int64 value = 0;
  if (!Poco::NumberParser::tryParse64(text, value) || value < min || value > max) {
    throw UsageError(optionName(key) + " must be a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", not '" + text + "'");
  }
  return static_cast<long>(value);
}

}  // namespace pigeon::app
