#pragma once

#include <exception>

#include <Poco/Util/Application.h>
#include <Poco/Util/OptionSet.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace pigeon::app {

// A bad option value or combination: reported as one line, exit EXIT_USAGE.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The base of every `pigeon SUBCOMMAND`: a Poco::Util::Application with
// --help (through HelpFormatter) and --config FILE (an INI or .properties
// file whose keys are the options' bindings, e.g. chat.transport=udp).
// Anything thrown by execute() is caught here and reported as one line
// "pigeon NAME: MESSAGE" on stderr with a non-zero EXIT_* code.
class Subcommand : public Poco::Util::Application {
 public:
  // Parses options; returns EXIT_OK, or EXIT_USAGE after printing why not.
  int parse(const std::vector<std::string>& args);

 protected:
  Subcommand(std::string name, std::string usage, std::string purpose);

  // The subcommand's own options; bind each to a "NAME.key" setting.
  virtual void defineSubcommandOptions(Poco::Util::OptionSet& options) = 0;
  virtual int execute(const std::vector<std::string>& args) = 0;

  // Typed access to a bound setting, with the option named in errors.
  std::string setting(const std::string& key, const std::string& fallback) const;
  bool hasSetting(const std::string& key) const;
  bool flag(const std::string& key) const;
  // A whole number from min to max; the fallback when not set.
  long integerSetting(const std::string& key, long fallback, long min, long max) const;

  // One line on stderr, prefixed "pigeon NAME: ".
  void report(const std::string& message) const;

  // Said after "unknown option X" where the likeliest cause is the
  // subcommand's own (lab: options of the command it runs, typed before
  // --); empty by default.
  virtual std::string unknownOptionHint() const { return {}; }

  // The exit code for an error escaping execute(): for a command that keeps
  // going after a failure (bench) and reports it at the end.
  static int exitCodeFor(const std::exception_ptr& error);

 private:
  void defineOptions(Poco::Util::OptionSet& options) final;
  void handleOption(const std::string& name, const std::string& value) final;
  int main(const std::vector<std::string>& args) final;
  void displayHelp() const;
  void checkConfigKeys(const std::string& path) const;

  std::string name_;
  std::string usage_;
  std::string purpose_;
  bool helpRequested_ = false;
};

}  // namespace pigeon::app
