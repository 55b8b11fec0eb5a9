#include "support/fhir_server_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "support/http_client.hpp"

namespace crdex::test {

// Start-up indexes the FHIR definitions (a few seconds).
FhirServerProcess::FhirServerProcess() : node_("fhir-server", {}, "the FHIR server") {}

void FhirServerProcess::admin(const std::string& path, const std::string& body) const {
  const auto result = http_post(base_url() + path, body);
  if (result.status != 200) throw std::runtime_error(path + " failed: " + result.body);
}

void FhirServerProcess::seed(const std::string& resource_or_bundle) const { admin("/$admin/seed", resource_or_bundle); }

void FhirServerProcess::set_page_size(int page_size) const {
  admin("/$admin/config", R"({"pageSize":)" + std::to_string(page_size) + "}");
}

void FhirServerProcess::admin_config(const std::string& config_json) const { admin("/$admin/config", config_json); }

void FhirServerProcess::set_fault(const std::string& fault_json) const { admin("/$admin/fault", fault_json); }

std::string FhirServerProcess::request_log() const {
  const auto result = http_get(base_url() + "/$admin/log");
  if (result.status != 200) throw std::runtime_error("/$admin/log failed: " + result.body);
  return result.body;
}

int dead_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("cannot pick a free port");
  close(fd);  // bound but never listening: connections to it are refused
  return ntohs(address.sin_port);
}

}  // namespace crdex::test
