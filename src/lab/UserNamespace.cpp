#include "lab/UserNamespace.h"

#include "lab/LabUnavailable.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

namespace pigeon::lab {

namespace {

bool ownUserNamespace = false;

[[noreturn]] void refuse(const std::string& why) {
  throw LabUnavailable(LabUnavailable::Reason::kNoPermission, why);
}

bool writeFile(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

}  // namespace

std::string tunDevicePath() {
  const char* path = std::getenv("PIGEON_LAB_TUN");
  return path && *path ? path : "/dev/net/tun";
}

void enterUserNamespaceUnlessRoot(bool needTun) {
  if (::geteuid() == 0) return;
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  const std::string tun = tunDevicePath();
  if (needTun && ::access(tun.c_str(), F_OK) == 0 && ::access(tun.c_str(), R_OK | W_OK) != 0) {
    refuse("not root, and " + tun +
           " is not usable by this user (mode 0600 here): make it so (as root: chmod 0666 " + tun +
           ", as most distributions ship it) or run as root");
  }
  // A network namespace of its own too: a thread that stepped into the lab
  // must be able to step back, and the host's is not this user's to enter.
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0) {
    refuse("not root, and this kernel refuses an unprivileged user namespace (unshare: " +
           std::string(std::strerror(errno)) +
           "): run as root, or allow them (sysctl user.max_user_namespaces=10000; on Debian "
           "before 11 kernel.unprivileged_userns_clone=1; on Ubuntu "
           "kernel.apparmor_restrict_unprivileged_userns=0)");
  }
  // setgroups must be denied before an unprivileged process maps its gid.
  if (!writeFile("/proc/self/setgroups", "deny") ||
      !writeFile("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n") ||
      !writeFile("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n")) {
    refuse("not root, and the user namespace's uid/gid map could not be written: " +
           std::string(std::strerror(errno)) + " (run as root)");
  }
  // Our own /run/netns: ip netns add bind-mounts there, invisible outside.
  ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  const char* where = ::access("/run/netns", F_OK) == 0 ? "/run/netns" : "/run";
  if (::mount("tmpfs", where, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
    refuse(std::string("not root, and a private ") + where +
           " cannot be mounted in the user namespace: " + std::strerror(errno) + " (run as root)");
  }
  if (std::string(where) == "/run") ::mkdir("/run/netns", 0755);
  ownUserNamespace = true;
}

bool inOwnUserNamespace() { return ownUserNamespace; }

int makeHeldNamespace(const std::string& path) {
  int fd = -1;
  int error = 0;
  // The thread ends inside the new namespace; only the descriptor and the
  // bind mount keep it.
  std::thread maker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      error = errno;
      return;
    }
    fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) error = errno;
  });
  maker.join();
  if (fd < 0) throw std::system_error(error, std::generic_category(), "unshare(CLONE_NEWNET)");
  const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (file < 0 || ::close(file) != 0 ||
      ::mount(("/proc/self/fd/" + std::to_string(fd)).c_str(), path.c_str(), nullptr, MS_BIND,
              nullptr) != 0) {
    error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "bind-mount " + path);
  }
  return fd;
}

}  // namespace pigeon::lab
