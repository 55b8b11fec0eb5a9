#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace crdex::test::raw_http {

Socket::~Socket() {
  if (fd >= 0) ::close(fd);
}

uint16_t port_of(const std::string& base_url) { return static_cast<uint16_t>(std::stoi(base_url.substr(base_url.rfind(':') + 1))); }

Socket connect_to(uint16_t port) {
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (socket.fd < 0 || ::connect(socket.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot connect to the server");
  return socket;
}

void send_all(const Socket& socket, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(socket.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;  // the server may hang up early; what it answered is what counts
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
}

std::string read_response(const Socket& socket, std::chrono::milliseconds safety) {
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + safety;
  char buffer[65536];
  for (;;) {
    const auto head_end = received.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto length_at = received.find("Content-Length: ");
      const size_t length = length_at < head_end ? std::stoul(received.substr(length_at + 16)) : 0;
      if (received.size() >= head_end + 4 + length) return received;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return received;
    pollfd ready{socket.fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return received;
    const ssize_t got = ::recv(socket.fd, buffer, sizeof buffer, 0);
    if (got <= 0) return received;
    received.append(buffer, static_cast<size_t>(got));
  }
}

std::string round_trip(uint16_t port, std::string_view request) {
  auto socket = connect_to(port);
  send_all(socket, request);
  return read_response(socket);
}

int status_of(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ") || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string post_head(size_t content_length) {
  return "POST /cds-services/crdex-order-sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(content_length) + "\r\n\r\n";
}

}  // namespace crdex::test::raw_http
