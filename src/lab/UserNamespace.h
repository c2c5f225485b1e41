#pragma once

#include <string>

namespace pigeon::lab {

// The TUN character device the lab opens: /dev/net/tun, or the node named
// by $PIGEON_LAB_TUN (any node of the same device, e.g. one a test made).
std::string tunDevicePath();

// Lets a normal user build a lab: moves the whole process into a new user
// namespace in which it is root (uid and gid mapped to its own), with a
// network namespace of its own (empty: the process's home, which its
// threads can return to) and a mount namespace whose /run/netns is a
// private tmpfs, where the lab's namespaces are bind-mounted: they are
// held by this process alone, go with it even after a SIGKILL, and no
// other user sees them. Does nothing for root. Must be called while the process has one
// thread (the kernel refuses a multithreaded unshare of the user
// namespace). Throws LabUnavailable (kNoPermission) saying what is missing
// and how to get it: unprivileged user namespaces refused by the kernel,
// or a TUN device this user may not open (`needTun`, the tun engine).
void enterUserNamespaceUnlessRoot(bool needTun);

// True once enterUserNamespaceUnlessRoot() moved this process into a user
// namespace of its own: `ip netns add` cannot work there (it returns to the
// host's namespace, which this user may not enter), so the lab makes its
// namespaces with makeHeldNamespace().
bool inOwnUserNamespace();

// Makes a network namespace from a fresh thread (unshare is per thread),
// held by the returned descriptor and bind-mounted at PATH (inside the
// private /run/netns), so `ip -n NAME` finds it. Throws std::system_error.
int makeHeldNamespace(const std::string& path);

}  // namespace pigeon::lab
