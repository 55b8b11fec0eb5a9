// crdex-server's process contract: start-up errors, --help, and a clean exit 0
// on SIGTERM / SIGINT.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

// A TCP socket on 127.0.0.1 (port 0: a free one), listening when asked;
// closed on destruction.
struct LifecycleSocket {
  int fd = -1;
  uint16_t port = 0;
  LifecycleSocket(uint16_t wanted, bool listening) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(wanted);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        (listening && ::listen(fd, 4) != 0) || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
      throw std::runtime_error("cannot bind a loopback socket");
    port = ntohs(address.sin_port);
  }
  ~LifecycleSocket() {
    if (fd >= 0) ::close(fd);
  }
  LifecycleSocket(const LifecycleSocket&) = delete;
  LifecycleSocket& operator=(const LifecycleSocket&) = delete;
};

// A port that was free a moment ago: bound on port 0, then closed.
uint16_t lifecycle_free_port() { return LifecycleSocket(0, false).port; }

uint16_t lifecycle_port_of(const std::string& base_url) {
  return static_cast<uint16_t>(std::stoi(base_url.substr(base_url.rfind(':') + 1)));
}

// The TCP ports process `pid` listens on, from /proc: its socket inodes
// matched against the LISTEN (0A) rows of /proc/net/tcp and tcp6.
std::multiset<uint16_t> lifecycle_listening_ports(pid_t pid) {
  std::set<std::string> inodes;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ignored;
    const auto target = std::filesystem::read_symlink(entry.path(), ignored).string();
    if (target.starts_with("socket:[")) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::multiset<uint16_t> ports;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // column titles
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      if (state == "0A" && inodes.count(inode))
        ports.insert(static_cast<uint16_t>(std::stoul(local.substr(local.rfind(':') + 1), nullptr, 16)));
    }
  }
  return ports;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_lifecycle)

// Issue 15: Pistache's serveThreaded() binds by itself; binding before it
// made every fixed port fail and port 0 open two sockets.
BOOST_AUTO_TEST_CASE(listens_on_the_fixed_port_it_is_given) {
  const uint16_t port = lifecycle_free_port();
  test::ServerProcess server({"--listen", "127.0.0.1:" + std::to_string(port)});
  BOOST_TEST(server.base_url() == "http://127.0.0.1:" + std::to_string(port));
  BOOST_TEST(test::http_get(server.base_url() + "/cds-services").status == 200);
  BOOST_TEST(lifecycle_listening_ports(server.pid()) == std::multiset<uint16_t>{port});
}

BOOST_AUTO_TEST_CASE(port_zero_opens_one_socket_and_reports_it) {
  test::ServerProcess server;  // --listen 127.0.0.1:0
  const uint16_t port = lifecycle_port_of(server.base_url());
  BOOST_TEST(port != 0);
  BOOST_TEST(test::http_get(server.base_url() + "/cds-services").status == 200);
  BOOST_TEST(lifecycle_listening_ports(server.pid()) == std::multiset<uint16_t>{port});
}

BOOST_AUTO_TEST_CASE(a_port_in_use_exits_2_with_one_clear_line) {
  const LifecycleSocket taken(0, true);
  const std::string listen = "127.0.0.1:" + std::to_string(taken.port);
  test::ServerProcess server({"--listen", listen}, {}, false);
  const auto status = server.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 2);
  const auto errors = server.stderr_text();
  std::istringstream lines(errors);
  int naming_it = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.find(listen) != std::string::npos) {
      ++naming_it;
      BOOST_TEST(line.find("cannot listen on " + listen + ": Address already in use") != std::string::npos, line);
    }
  BOOST_TEST(naming_it == 1, errors);
  BOOST_TEST(errors.find("crdex-server failed") == std::string::npos, errors);
}

BOOST_AUTO_TEST_CASE(sigterm_and_sigint_exit_zero) {
  for (int signal : {SIGTERM, SIGINT}) {
    test::ServerProcess server;
    BOOST_TEST(test::http_get(server.base_url() + "/cds-services").status == 200);
    const auto status = server.stop(signal);
    BOOST_TEST(status.exited);
    BOOST_TEST(status.code == 0);
    BOOST_TEST(server.stderr_text().find("stopped") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(help_describes_the_options) {
  test::ServerProcess help({"--help"}, {}, false);
  const auto status = help.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 0);
}

BOOST_AUTO_TEST_CASE(bad_rule_file_stops_start_up_naming_file_and_path) {
  test::TempDir rules;
  std::ofstream(rules.path() / "broken.json")
      << R"({"schema":"crdex-rules/1","payer":{"id":"p","name":"P","identifiedBy":{"displays":["P"]}},
           "defaultOutcome":{"covered":"covered","pa-needed":"sometimes"}})";
  test::ServerProcess server({}, rules.path().string(), false);
  const auto status = server.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 2);
  const auto errors = server.stderr_text();
  BOOST_TEST(errors.find("broken.json") != std::string::npos, errors);
  BOOST_TEST(errors.find("$.defaultOutcome.pa-needed") != std::string::npos, errors);
}

BOOST_AUTO_TEST_CASE(bad_listen_address_is_a_usage_error) {
  test::ServerProcess server({"--listen", "nonsense"}, {}, false);
  const auto status = server.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
