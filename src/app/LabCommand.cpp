#include "app/LabCommand.h"

#include "app/TerminationSignals.h"
#include "lab/CounterFields.h"
#include "lab/LabLink.h"
#include "lab/LabUnavailable.h"
#include "lab/Netem.h"
#include "lab/UserNamespace.h"

#include <Poco/Util/Option.h>

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <random>

extern char** environ;

namespace pigeon::app {

using Poco::Util::Option;

namespace {

constexpr long kPollMs = 20;
constexpr const char* kPeerVariable = "$PIGEON_LAB_PEER";
constexpr auto kFarGrace = std::chrono::seconds(2);

// The environment of a child: ours, with PIGEON_LAB_PEER set.
std::vector<std::string> childEnvironment(const std::string& peer) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "PIGEON_LAB_PEER=", 16) != 0) env.emplace_back(*e);
  }
  env.push_back("PIGEON_LAB_PEER=" + peer);
  return env;
}

// Starts argv inside a namespace. Everything the child needs is prepared
// before fork, since another thread (the emulator) runs meanwhile.
pid_t spawnIn(int namespaceFd, const std::vector<std::string>& argv, const std::string& peer) {
  std::vector<std::string> env = childEnvironment(peer);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string cannotRun = "pigeon lab: cannot run '" + argv.front() + "'\n";
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The lab dies with its parent: nothing left holding a namespace.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::setns(namespaceFd, CLONE_NEWNET) != 0) ::_exit(126);
    ::execvpe(args[0], args.data(), envp.data());
    [[maybe_unused]] const ssize_t n = ::write(2, cannotRun.data(), cannotRun.size());
    ::_exit(127);
  }
  return pid;
}

// The exit status as a shell gives it.
int statusOf(int wstatus) {
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

// Asks a child to end (SIGTERM), then kills it after a grace period.
void endChild(pid_t pid) {
  if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
  ::kill(pid, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + kFarGrace;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    ::usleep(10'000);  // bounded by kFarGrace
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

link::LinkSpec seededSpec(const std::string& text) {
  link::LinkSpec spec;
  try {
    spec = link::LinkSpec::parse(text);
  } catch (const link::LinkSpecError& e) {
    throw UsageError(e.what());
  }
  if (!spec.up.seed || !spec.down.seed) {
    std::random_device entropy;
    const std::uint64_t seed = (std::uint64_t{entropy()} << 32) ^ entropy();
    if (!spec.up.seed) spec.up.seed = seed;
    if (!spec.down.seed) spec.down.seed = seed;
  }
  return spec;
}

LabCommand::LabCommand()
    : Subcommand("lab",
                 "SPEC [--far 'CMD'] [--engine tun|netem] [--mtu BYTES] [--ipv6] -- CMD [ARG...]",
                 "Runs CMD across an emulated link: two network namespaces joined by "
                 "pigeon's seeded link emulator (engine tun), which gives every IP packet "
                 "(TCP, UDP, ICMP) the impairments of SPEC, as `pigeon link` does (loss, "
                 "burst, delay, jitter, reorder, duplicate, corrupt, rate, queue, seed; up. = "
                 "near to far, down. = far to near). CMD runs in the near namespace, the "
                 "--far command (through /bin/sh) in the far one; each finds the other's "
                 "address in $PIGEON_LAB_PEER. Needs root (see docs/lab.md). When CMD ends, "
                 "prints what the link did and exits with CMD's status.") {}

void LabCommand::defineSubcommandOptions(Poco::Util::OptionSet& options) {
  options.addOption(Option("far", "", "a shell command to run in the far namespace")
                        .argument("CMD")
                        .binding("lab.far"));
  options.addOption(Option("mtu", "", "MTU of the lab's devices (default 1500)")
                        .argument("BYTES")
                        .binding("lab.mtu"));
  options.addOption(
      Option("ipv6", "", "keep IPv6 on the lab's devices (off by default)").binding("lab.ipv6"));
  options.addOption(Option("engine", "",
                           "tun (default: pigeon's seeded emulator) or netem (a veth pair with "
                           "the kernel's netem, where it has it; not seeded)")
                        .argument("NAME")
                        .binding("lab.engine"));
}

std::string LabCommand::unknownOptionHint() const {
  // `pigeon lab delay=10ms ping -c 3 ...`: ping's -c taken for the lab's.
  return "the command to run and its options go after --, e.g. pigeon lab delay=10ms -- ping -c 3 "
         "'$PIGEON_LAB_PEER' ('pigeon lab --help' lists the lab's own options)";
}

int LabCommand::execute(const std::vector<std::string>& args) {
  // The SPEC is the first argument if it looks like one (KEY=VALUE items,
  // or "" for a clean link); everything after it is the command.
  std::string specText;
  std::vector<std::string> command = args;
  if (!command.empty() &&
      (command.front().empty() || command.front().find('=') != std::string::npos)) {
    specText = command.front();
    command.erase(command.begin());
  }
  if (command.empty()) {
    throw UsageError(
        "give the command to run after --, e.g. -- ping -c 3 '$PIGEON_LAB_PEER' (in single "
        "quotes, so the lab fills it in, not your shell)");
  }
  const link::LinkSpec spec = seededSpec(specText);
  lab::LabOptions options;
  options.mtuBytes = static_cast<std::size_t>(integerSetting("lab.mtu", 1500, 576, 65535));
  options.ipv6 = flag("lab.ipv6");
  try {
    options.engine = lab::parseEngine(setting("lab.engine", "tun"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--engine: ") + e.what());
  }

  std::optional<lab::LabLink> lab;
  try {
    // A normal user: into a user namespace of its own, while single-threaded.
    lab::enterUserNamespaceUnlessRoot(options.engine == lab::Engine::kTun);
  } catch (const lab::LabUnavailable& e) {
    report(std::string("not possible here: ") + e.what());
    return EXIT_NOPERM;
  }
  TerminationSignals signals;  // before any thread exists
  try {
    lab.emplace(spec, options);
  } catch (const lab::NetemUnsupported& e) {
    throw UsageError(std::string("--engine netem: ") + e.what());
  } catch (const lab::LabUnavailable& e) {
    report(std::string("not possible here: ") + e.what());
    return e.reason() == lab::LabUnavailable::Reason::kNoPermission ? EXIT_NOPERM
                                                                    : EXIT_UNAVAILABLE;
  }
  lab->start();
  const bool netem = options.engine == lab::Engine::kNetem;
  std::cerr << ("* lab: engine " + std::string(lab::engineName(options.engine)) +
                (netem ? " (the kernel's netem decides, not pigeon's seeded model)" : "") +
                "; near " + std::string(lab::LabLink::kNearAddress) + " (netns " + lab->nearName() +
                ") <-> far " + lab::LabLink::kFarAddress + " (netns " + lab->farName() +
                ")\n* lab: PIGEON_LAB_PEER=" + lab::LabLink::kFarAddress +
                "\n* lab: up (near -> far): " + describe(spec.up) +
                "\n* lab: down (far -> near): " + describe(spec.down) + "\n")
            << std::flush;

  std::optional<pid_t> far;
  if (const std::string farCommand = setting("lab.far", ""); !farCommand.empty()) {
    far = spawnIn(lab->farNamespaceFd(), {"/bin/sh", "-c", farCommand}, lab::LabLink::kNearAddress);
  }
  // A quoted '$PIGEON_LAB_PEER' reaches us unexpanded: no shell runs CMD.
  for (auto& arg : command) {
    for (std::size_t at; (at = arg.find(kPeerVariable)) != std::string::npos;) {
      arg.replace(at, std::strlen(kPeerVariable), lab::LabLink::kFarAddress);
    }
  }
  const pid_t near = spawnIn(lab->nearNamespaceFd(), command, lab::LabLink::kFarAddress);
  int status = 0;
  for (;;) {
    int wstatus = 0;
    const pid_t done = ::waitpid(near, &wstatus, WNOHANG);
    if (done == near) {
      status = statusOf(wstatus);
      break;
    }
    if (const int signal = signals.waitFor(kPollMs); signal != 0) {
      endChild(near);
      status = 128 + signal;
      break;
    }
  }
  if (far) endChild(*far);
  lab->stop();
  using Direction = lab::Emulator::Direction;
  if (!netem) {
    std::cerr << ("* lab: up: " + lab::describe(lab->counters(Direction::kUp)) +
                  "\n* lab: down: " + lab::describe(lab->counters(Direction::kDown)) + "\n");
  }
  std::cerr << ("* lab: device queue drops: " + std::to_string(lab->deviceDrops()) + "\n")
            << std::flush;
  if (const std::string error = lab->error(); !error.empty()) report(error);
  return status;
}

}  // namespace pigeon::app
