#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pigeon::testing {

// A program run by a test with its stdin, stdout and stderr on pipes, read
// with timeouts so that no test waits forever or sleeps to synchronise.
// The child is killed when this object goes away.
class ChildProcess {
 public:
  using Duration = std::chrono::milliseconds;

  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void write(const std::string& text);
  // For a last word to a child that may already have ended on its own: false
  // if its stdin is closed.
  bool tryWrite(const std::string& text);
  void signal(int signalNumber);
  void closeStdin();

  // Reads until `needle` appears in stdout (or stderr) or `timeout` passes;
  // true if it appeared.
  bool waitForStdout(const std::string& needle, Duration timeout = Duration(5000));
  bool waitForStderr(const std::string& needle, Duration timeout = Duration(5000));

  // Waits for the child to exit (reading its output meanwhile); the exit
  // code, or nullopt if it was still running after `timeout` (then killed).
  std::optional<int> wait(Duration timeout = Duration(5000));

  const std::string& out() const { return out_; }
  int pid() const { return pid_; }
  const std::string& err() const { return err_; }

  // The port in the first "HOST:PORT" after `marker` on stderr (e.g. after
  // "listening on udp "), waiting up to `timeout`; 0 if none.
  int listeningPort(const std::string& marker, Duration timeout = Duration(5000));

 private:
  bool pump(Duration budget);  // false once both pipes are closed
  bool waitFor(const std::string& needle, const std::string& in, Duration timeout);

  int pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> exitCode_;
};

// A UDP or TCP port on 127.0.0.1 that nothing listens on right now (the
// kernel picks it; it is released before return).
int unusedPort(bool udp);

}  // namespace pigeon::testing
