#include "app/OutputFile.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace pigeon::app {

OutputFile::OutputFile(const std::string& option, const std::string& path)
    : option_(option), path_(path) {
  if (path.empty()) throw CannotCreate(option + ": the file name is empty");
  // Same directory, so the final rename(2) never crosses a file system; a
  // hidden name, so a half-written file is not mistaken for a result.
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) throw CannotCreate(option + ": '" + path + "' names a directory, not a file");
  std::string pattern = dir + "." + base + ".partial-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    throw CannotCreate("cannot create " + option + " file '" + path + "': " + std::strerror(errno));
  }
  // mkstemp makes it 0600; a result file is as readable as any other.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  ::close(fd);
  temporary_ = name.data();
}

OutputFile::~OutputFile() {
  if (!committed_) std::remove(temporary_.c_str());
}

void OutputFile::commit() {
  if (committed_) return;
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    throw CannotCreate("cannot write " + option_ + " file '" + path_ + "': " + reason);
  }
  committed_ = true;
}

}  // namespace pigeon::app
