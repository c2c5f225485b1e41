#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pigeon::filexfer {

// A file name from the network is a name, never a path. Returns why `name`
// is refused, or nullopt when it may be created in the receive directory:
// not empty, not "." or "..", no '/' or '\\', no control character (C0, DEL),
// not a device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without an
// extension, any case), at most 255 bytes. The reason never repeats the
// name's bytes, so it is safe to print.
std::optional<std::string> fileNameProblem(std::string_view name);

}  // namespace pigeon::filexfer
