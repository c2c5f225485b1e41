#include "ChildProcess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pigeon::testing {

namespace {
using Clock = std::chrono::steady_clock;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  // A child that has ended makes a write to its stdin fail (EPIPE), which
  // write() reports; it must not kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  stdin_ = in[1];
  stdout_ = out[0];
  stderr_ = err[0];
}

ChildProcess::~ChildProcess() {
  if (!exitCode_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  for (int fd : {stdin_, stdout_, stderr_}) {
    if (fd >= 0) ::close(fd);
  }
}

void ChildProcess::write(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(stdin_, text.data() + done, text.size() - done);
    if (n <= 0) throw std::runtime_error("write to child's stdin failed");
    done += static_cast<std::size_t>(n);
  }
}

bool ChildProcess::tryWrite(const std::string& text) {
  try {
    write(text);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

void ChildProcess::signal(int signalNumber) {
  if (pid_ > 0 && !exitCode_) ::kill(pid_, signalNumber);
}

void ChildProcess::closeStdin() {
  if (stdin_ >= 0) ::close(stdin_);
  stdin_ = -1;
}

bool ChildProcess::pump(Duration budget) {
  pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
  int open = 0;
  for (auto& f : fds) open += f.fd >= 0;
  if (open == 0) return false;
  if (::poll(fds, 2, static_cast<int>(budget.count())) <= 0) return true;
  int* fdsOwned[2] = {&stdout_, &stderr_};
  std::string* sinks[2] = {&out_, &err_};
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || fds[i].revents == 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      sinks[i]->append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      ::close(*fdsOwned[i]);
      *fdsOwned[i] = -1;
    }
  }
  return true;
}

bool ChildProcess::waitFor(const std::string& needle, const std::string& in, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (in.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    if (!pump(std::min(left, Duration(100)))) return in.find(needle) != std::string::npos;
  }
  return true;
}

bool ChildProcess::waitForStdout(const std::string& needle, Duration timeout) {
  return waitFor(needle, out_, timeout);
}

bool ChildProcess::waitForStderr(const std::string& needle, Duration timeout) {
  return waitFor(needle, err_, timeout);
}

std::optional<int> ChildProcess::wait(Duration timeout) {
  if (exitCode_) return exitCode_;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      while (pump(Duration(50))) {
      }
      exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exitCode_;
    }
    if (!pump(Duration(50))) {
      // Output closed: the child is exiting; waitpid will report it shortly.
      pollfd none{};
      ::poll(&none, 0, 10);
    }
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  exitCode_ = std::nullopt;
  pid_ = -1;
  return std::nullopt;
}

int ChildProcess::listeningPort(const std::string& marker, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!waitForStderr(marker, timeout)) return 0;
  const auto at = err_.find(marker) + marker.size();
  // The line may come in pieces: wait for its end.
  while (err_.find('\n', at) == std::string::npos && Clock::now() < deadline) {
    if (!pump(Duration(50))) break;
  }
  const auto lineEnd = err_.find_first_of(";\n", at);
  const std::string address = err_.substr(at, lineEnd - at);
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return 0;
  return std::atoi(address.c_str() + colon + 1);
}

int unusedPort(bool udp) {
  const int fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace pigeon::testing
