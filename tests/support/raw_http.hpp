#pragma once
// HTTP/1.1 spoken over a bare TCP socket, for tests that must send what no
// well-behaved client library would (malformed request lines, lying
// Content-Length, slow or oversized heads) and read exactly what the server
// answered and whether it then hung up.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crdex::test::raw_http {

// A file descriptor closed on destruction.
struct Socket {
  int fd = -1;
  Socket() = default;
  explicit Socket(int f) : fd(f) {}
  Socket(Socket&& other) noexcept : fd(other.fd) { other.fd = -1; }
  Socket& operator=(Socket&& other) noexcept {
    std::swap(fd, other.fd);
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();
};

// The port of "http://127.0.0.1:PORT".
uint16_t port_of(const std::string& base_url);
// A connection to 127.0.0.1:port (throws when refused).
Socket connect_to(uint16_t port);
// Sends everything, or stops quietly when the server hangs up early.
void send_all(const Socket& socket, std::string_view bytes);
// Reads until the server closes or one whole response (headers plus
// Content-Length bytes) has arrived; `safety` only guards against a hang.
std::string read_response(const Socket& socket, std::chrono::milliseconds safety = std::chrono::seconds(20));
// connect_to, send_all, read_response.
std::string round_trip(uint16_t port, std::string_view request);
// The status code of a response's status line; 0 when there is none.
int status_of(const std::string& response);
// The head of a POST of `content_length` JSON bytes to the order-sign service.
std::string post_head(size_t content_length);

}  // namespace crdex::test::raw_http
