#pragma once

#include <stdexcept>
#include <string>

namespace pigeon::app {

// A result file (--json, --csv, --log) that appears whole or not at all:
// it is created under a temporary name in the same directory when the run
// starts, so an unwritable path is refused before anything is measured, and
// renamed to its final name by commit(). Removed again if never committed.
//
//   OutputFile json("--json", path);    // throws CannotCreate now, not later
//   ... write to json.temporaryPath() ...
//   json.commit();                      // rename(2): readers never see half
//
// Non-copyable.
class OutputFile {
 public:
  // An output path that cannot be created; what() is one line naming the
  // option, the path and the reason.
  class CannotCreate : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
  };

  OutputFile(const std::string& option, const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& temporaryPath() const { return temporary_; }
  const std::string& path() const { return path_; }
  // Renames the temporary file to the final path. Throws CannotCreate.
  void commit();

 private:
  std::string option_;
  std::string path_;
  std::string temporary_;
  bool committed_ = false;
};

}  // namespace pigeon::app
