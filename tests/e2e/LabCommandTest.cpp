#include "ChildProcess.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>

using pigeon::testing::ChildProcess;

namespace {

constexpr int kExitUnavailable = 69;
constexpr int kExitNoPerm = 77;
constexpr auto kLabTimeout = ChildProcess::Duration(10'000);

// What a shell command prints (for `ip netns list`, `ip -o link`).
std::string outputOf(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  return out;
}

// Why a lab cannot run here (what pigeon lab said), or nullopt if it can.
std::optional<std::string> labUnavailable() {
  ChildProcess probe({PIGEON_BINARY, "lab", "--", "true"});
  const auto rc = probe.wait(kLabTimeout);
  if (rc == kExitNoPerm || rc == kExitUnavailable) return probe.err();
  return std::nullopt;
}

#define SKIP_WITHOUT_LAB() \
  if (const auto why = labUnavailable()) GTEST_SKIP() << "lab not possible here: " << *why

// The namespace names a lab printed ("netns pigeon-PID-near").
std::vector<std::string> namespacesIn(const std::string& text) {
  std::vector<std::string> names;
  const std::regex name(R"(netns (pigeon-[0-9]+-(near|far)))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator();
       ++it) {
    names.push_back((*it)[1]);
  }
  return names;
}

bool namespaceExists(const std::string& name) {
  return outputOf("ip netns list").find(name) != std::string::npos;
}

}  // namespace

// `pigeon lab delay=10ms ping -c1 ...` without the --: ping's option is
// taken for the lab's, which said only "unknown option --c1" (a walkthrough).
// Parsed before any lab is built, so no root or TUN is needed.
TEST(LabCommand, AnOptionOfTheCommandBeforeTheDashDashSaysWhereItGoes) {
  ChildProcess lab({PIGEON_BINARY, "lab", "delay=10ms", "ping", "-c1", "127.0.0.1"});
  EXPECT_EQ(lab.wait(kLabTimeout), 64) << lab.err();
  EXPECT_NE(lab.err().find("unknown option"), std::string::npos) << lab.err();
  EXPECT_NE(lab.err().find("go after --, e.g. pigeon lab delay=10ms -- ping"), std::string::npos)
      << lab.err();
  EXPECT_EQ(std::count(lab.err().begin(), lab.err().end(), '\n'), 1) << lab.err();
}

TEST(LabCommand, PingAcrossA25msLinkTakesAMinimumOf50ms) {
  SKIP_WITHOUT_LAB();
  if (outputOf("command -v ping").empty()) GTEST_SKIP() << "no ping on this machine";
  ChildProcess lab({PIGEON_BINARY, "lab", "delay=25ms,seed=1", "--", "ping", "-n", "-c", "5", "-i",
                    "0.2", "$PIGEON_LAB_PEER"});
  ASSERT_EQ(lab.wait(kLabTimeout), 0) << lab.out() << lab.err();
  std::smatch m;
  const std::string out = lab.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(= ([0-9.]+)/([0-9.]+)/)"))) << out;
  const double minMs = std::stod(m[1]);
  EXPECT_GE(minMs, 49.0) << out;
  EXPECT_LE(minMs, 51.0) << out;
  EXPECT_NE(lab.err().find("* lab: PIGEON_LAB_PEER=10.77.0.2"), std::string::npos) << lab.err();
  // Each echo request and reply is "other" (ICMP) and got 25 ms.
  EXPECT_NE(lab.err().find("* lab: up: other: seen=5 dropped=0"), std::string::npos) << lab.err();
  EXPECT_NE(lab.err().find("delay p50=25.000ms"), std::string::npos) << lab.err();
}

TEST(LabCommand, ExitsWithTheCommandsStatusAndLeavesNothing) {
  SKIP_WITHOUT_LAB();
  ChildProcess lab({PIGEON_BINARY, "lab", "", "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(lab.wait(kLabTimeout), 3) << lab.err();
  const auto names = namespacesIn(lab.err());
  ASSERT_EQ(names.size(), 2u) << lab.err();
  for (const auto& name : names) EXPECT_FALSE(namespaceExists(name)) << name;
}

TEST(LabCommand, SigtermEndsTheCommandAndRemovesTheLab) {
  SKIP_WITHOUT_LAB();
  ChildProcess lab({PIGEON_BINARY, "lab", "loss=1%", "--", "sleep", "30"});
  ASSERT_TRUE(lab.waitForStderr("* lab: down (far -> near)", kLabTimeout)) << lab.err();
  const auto names = namespacesIn(lab.err());
  ASSERT_EQ(names.size(), 2u) << lab.err();
  for (const auto& name : names) EXPECT_TRUE(namespaceExists(name)) << name;
  lab.signal(SIGTERM);
  EXPECT_EQ(lab.wait(kLabTimeout), 128 + SIGTERM) << lab.err();
  for (const auto& name : names) EXPECT_FALSE(namespaceExists(name)) << name;
}

TEST(LabCommand, ALabKilledWithSigkillIsRemovedByTheNextOne) {
  SKIP_WITHOUT_LAB();
  std::vector<std::string> names;
  {
    ChildProcess lab({PIGEON_BINARY, "lab", "", "--", "sleep", "30"});
    ASSERT_TRUE(lab.waitForStderr("* lab: down (far -> near)", kLabTimeout)) << lab.err();
    names = namespacesIn(lab.err());
    lab.signal(SIGKILL);
    lab.wait(kLabTimeout);
  }
  ASSERT_EQ(names.size(), 2u);
  // Left by SIGKILL, unless a lab of a test running beside this one (ctest
  // -j) has already removed them as stale: either way the next lab must
  // leave none.

  ChildProcess next({PIGEON_BINARY, "lab", "", "--", "true"});
  EXPECT_EQ(next.wait(kLabTimeout), 0) << next.err();
  for (const auto& name : names) EXPECT_FALSE(namespaceExists(name)) << name;
  // The TUN devices lived in the namespaces only: none on the host.
  EXPECT_EQ(outputOf("ip -o link show").find("pigeon0"), std::string::npos);
}

namespace {

// A TUN node of the given mode in a fresh directory that `nobody` can pass
// through: the same device as /dev/net/tun (10, 200), for PIGEON_LAB_TUN.
// Removed with the object.
struct TunNode {
  explicit TunNode(mode_t mode) {
    std::string pattern = ::testing::TempDir() + "/pigeon-tun-XXXXXX";
    if (!::mkdtemp(pattern.data())) return;
    dir = pattern;
    ::chmod(dir.c_str(), 0711);
    path = dir + "/tun";
    if (::mknod(path.c_str(), S_IFCHR | 0600, ::makedev(10, 200)) != 0) path.clear();
    if (!path.empty()) ::chmod(path.c_str(), mode);
  }
  ~TunNode() {
    if (!path.empty()) ::unlink(path.c_str());
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
  std::string dir;
  std::string path;
};

std::vector<std::string> asNobody(const std::string& tun, std::vector<std::string> args) {
  std::vector<std::string> argv = {"setpriv",        "--reuid=65534", "--regid=65534",
                                   "--clear-groups", "env",           "PIGEON_LAB_TUN=" + tun,
                                   PIGEON_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

#define SKIP_UNLESS_ROOT_WITH_SETPRIV()                           \
  if (::geteuid() != 0 || outputOf("command -v setpriv").empty()) \
  GTEST_SKIP() << "needs root and setpriv to run pigeon lab as another user"

bool unprivilegedUserNamespacesAllowed() {
  return std::system(
             "setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn true "
             ">/dev/null 2>&1") == 0;
}

}  // namespace

TEST(LabCommand, AsANormalUserRunsThroughAnUnprivilegedUserNamespace) {
  SKIP_UNLESS_ROOT_WITH_SETPRIV();
  SKIP_WITHOUT_LAB();
  if (!unprivilegedUserNamespacesAllowed()) {
    GTEST_SKIP() << "this kernel refuses unprivileged user namespaces (unshare -Urn failed)";
  }
  // /dev/net/tun is 0600 here: the test's own node of the device, 0666.
  TunNode tun(0666);
  ASSERT_FALSE(tun.path.empty()) << "mknod failed";
  ChildProcess lab(asNobody(tun.path, {"lab", "delay=5ms,seed=1", "--", "ping", "-n", "-c", "2",
                                       "-i", "0.2", "$PIGEON_LAB_PEER"}));
  ASSERT_EQ(lab.wait(kLabTimeout), 0) << lab.out() << lab.err();
  EXPECT_NE(lab.out().find("2 received"), std::string::npos) << lab.out();
  EXPECT_NE(lab.err().find("* lab: up: other: seen=2 dropped=0"), std::string::npos) << lab.err();
  // Held by the process in its own mount namespace: nothing on the host.
  for (const auto& name : namespacesIn(lab.err())) EXPECT_FALSE(namespaceExists(name)) << name;
}

TEST(LabCommand, AsANormalUserWithoutAUsableTunSaysWhatIsMissingWithItsOwnExitCode) {
  SKIP_UNLESS_ROOT_WITH_SETPRIV();
  TunNode tun(0600);  // as /dev/net/tun is on this project's VM
  ASSERT_FALSE(tun.path.empty()) << "mknod failed";
  ChildProcess lab(asNobody(tun.path, {"lab", "", "--", "true"}));
  EXPECT_EQ(lab.wait(kLabTimeout), kExitNoPerm) << lab.err();
  EXPECT_EQ(lab.err(), "pigeon lab: not possible here: not root, and " + tun.path +
                           " is not usable by this user (mode 0600 here): make it so (as root: "
                           "chmod 0666 " +
                           tun.path + ", as most distributions ship it) or run as root\n");
  ChildProcess bench(asNobody(tun.path, {"bench", "--lab", "", "-c", "10"}));
  EXPECT_EQ(bench.wait(kLabTimeout), kExitNoPerm) << bench.err();
  EXPECT_EQ(bench.err().rfind("pigeon bench: --lab not possible here: not root, and ", 0), 0u)
      << bench.err();
}

TEST(LabCommand, NetemEngineCarriesTheSpecWhereTheKernelHasItOrSaysInOneLineWhatIsMissing) {
  SKIP_WITHOUT_LAB();
  if (outputOf("command -v ping").empty()) GTEST_SKIP() << "no ping on this machine";
  ChildProcess lab({PIGEON_BINARY, "lab", "--engine", "netem", "delay=25ms", "--", "ping", "-n",
                    "-c", "3", "-i", "0.2", "$PIGEON_LAB_PEER"});
  const auto rc = lab.wait(kLabTimeout);
  const auto left = outputOf("ip netns list");
  if (rc == kExitUnavailable) {
    // A kernel without netem (like this project's VM): one line, its own
    // code, and nothing left of the namespaces and veth it had made.
    EXPECT_EQ(lab.err().rfind("pigeon lab: not possible here: this kernel has no netem qdisc", 0),
              0u)
        << lab.err();
    EXPECT_EQ(lab.err().find('\n'), lab.err().size() - 1) << "one line: " << lab.err();
    // Any pigeon-PID-* left must belong to a lab still running (another test's).
    const std::regex owner(R"(pigeon-([0-9]+)-)");
    for (auto it = std::sregex_iterator(left.begin(), left.end(), owner);
         it != std::sregex_iterator(); ++it) {
      EXPECT_EQ(::kill(static_cast<pid_t>(std::stol((*it)[1])), 0), 0) << "left: " << left;
    }
    return;
  }
  ASSERT_EQ(rc, 0) << lab.out() << lab.err();
  EXPECT_NE(lab.err().find("* lab: engine netem (the kernel's netem decides"), std::string::npos)
      << lab.err();
  std::smatch m;
  const std::string out = lab.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(= ([0-9.]+)/([0-9.]+)/)"))) << out;
  EXPECT_GE(std::stod(m[1]), 49.0) << out;
  EXPECT_LE(std::stod(m[1]), 52.0) << out;
}

TEST(LabCommand, NetemEngineRefusesWhatNetemCannotDoAsPigeonsModelDoes) {
  ChildProcess lab({PIGEON_BINARY, "lab", "--engine", "netem", "reorder=5%", "--", "true"});
  EXPECT_EQ(lab.wait(kLabTimeout), 64) << lab.err();
  EXPECT_NE(lab.err().find("reorder= has no netem equivalent"), std::string::npos) << lab.err();
}
