#pragma once
// A response header with a name chosen at run time (Location, WWW-Authenticate,
// X-Crdex-Rule-Set-Version). Pistache writes only typed headers, not raw ones.

#include <pistache/http_header.h>

#include <ostream>
#include <string>

namespace crdex::server {

class NamedHeader : public Pistache::Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return Pistache::Http::Header::detail::hash(name_.c_str()); }
#endif

 private:
  std::string name_;
  std::string value_;
};

}  // namespace crdex::server
