// The link SPEC parser: any text is a LinkSpec or a LinkSpecError, nothing
// else (no other exception, no crash); what it parses it can describe.

#include "link/LinkSpec.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto spec = pigeon::link::LinkSpec::parse(text);
    (void)pigeon::link::describe(spec.up);
    (void)pigeon::link::describe(spec.down);
  } catch (const pigeon::link::LinkSpecError&) {
  }
  return 0;
}
