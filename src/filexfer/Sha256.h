#pragma once

#include "filexfer/FileOffer.h"
#include "wire/Bytes.h"

#include <string>

struct evp_md_ctx_st;

namespace pigeon::filexfer {

// SHA-256 through OpenSSL's EVP interface (Poco's SHA2Engine is several
// times slower). Not copyable; not thread safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(wire::ByteSpan bytes);
  // The digest of everything given so far; the object is then spent.
  Sha256Digest finish();

  // The digest of a whole file; throws std::runtime_error naming the file.
  static Sha256Digest ofFile(const std::string& path);

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace pigeon::filexfer
