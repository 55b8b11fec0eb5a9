#pragma once
// crdex's own size limits, enforced inside Pistache's request parser.
//
// Pistache 0.0.5 refuses a request that outgrows its maxRequestSize by
// itself: a plain-text 413 with no Content-Type, after which it parses the
// rest of the body as new requests (byte by byte, ~1 MB/s). crdex keeps that
// limit out of reach (body limit + header limit + slack) and puts this parser
// on every connection instead. It checks, as the bytes arrive:
//   - a declared Content-Length against --max-body-bytes, before any byte of
//     the body is read or memory reserved for it;
//   - a chunked body's bytes as they come, against --max-body-bytes;
//   - the whole request against one budget of --max-body-bytes plus
//     --max-header-bytes (what Pistache counted before; a large header such
//     as a long token may use what the body leaves).
// A request over a limit is handed to the handler at once, without its body,
// and marked (request_over_limit): the handler answers 413 / 431 with an
// OperationOutcome and closes. Whatever the client still sends on that
// connection is dropped as it arrives, without buffering or parsing.

#include <pistache/http.h>

#include <cstddef>
#include <memory>

namespace crdex::server {

struct SizeLimits {
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 32 << 10;
  // Request line, headers and body together.
  size_t whole_request() const { return max_body_bytes + max_header_bytes; }
};

// What the gate found wrong with the request being answered.
enum class OverLimit { none, headers, body };

class SizeGatedParser : public Pistache::Http::RequestParser {
 public:
  explicit SizeGatedParser(SizeLimits limits);

  // Pistache's own buffer limit for these limits: never reached first.
  static size_t pistache_limit(SizeLimits limits);

  OverLimit over_limit() const { return over_limit_; }
  // After an over-limit request was answered, the next reset starts dropping
  // everything the connection sends.
  void reset() override;

  // Used by the parser's steps.
  const SizeLimits& limits() const { return limits_; }
  void mark(OverLimit what) { over_limit_ = what; }
  bool dropping() const { return dropping_; }
  void drop_buffered_input();
  size_t body_start = 0;  // cursor position where the body begins

 private:
  SizeLimits limits_;
  OverLimit over_limit_ = OverLimit::none;
  bool dropping_ = false;
};

// Puts a SizeGatedParser on a new connection, in place of Pistache's own
// (call from the handler's onConnection).
void install_size_gate(const std::shared_ptr<Pistache::Tcp::Peer>& peer, SizeLimits limits);

// What was over the limit in the request answered on `response`'s connection.
OverLimit request_over_limit(const Pistache::Http::ResponseWriter& response);

}  // namespace crdex::server
