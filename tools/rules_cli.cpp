// crdex-rules: a payer's command line for its rule sets, made for CI.
//
//   crdex-rules validate FILE
//   crdex-rules diff FILE_A FILE_B --requests REQUESTS.json
//   crdex-rules publish FILE --server URL --payer ID --token-file F [--comment TEXT]
//   crdex-rules issue-token --data DIR [--store URL] --payer ID [--token-file F]
//
// Exit codes: 0 success (valid / no decision differs / published), 1 the rule
// set is invalid or decisions differ, 2 usage or file error, 3 the server
// refused the token (401/403), 4 the server could not be reached or failed.

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_set_parser.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/http_client.hpp"
#include "crdex/fhir/store_location.hpp"
#include "crdex/fhir/token_file.hpp"
#include "crdex/hooks/decision_diff.hpp"

namespace {

using namespace crdex;

constexpr int kOk = 0, kFindings = 1, kUsage = 2, kRefused = 3, kServer = 4;

bool read_text(const std::string& file, std::string& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << file << ": cannot be read\n";
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

// Prints every problem as FILE:POINTER: message (one per line, grep-friendly).
int validate(const std::string& file) {
  std::string text;
  if (!read_text(file, text)) return kUsage;
  auto check = config::check_rule_set(text, file);
  for (const auto& w : check.warnings) std::cerr << file << ":" << w.pointer << ": warning: " << w.message << "\n";
  for (const auto& p : check.problems) std::cout << file << ":" << p.pointer << ": " << p.message << "\n";
  if (!check.ok()) {
    std::cout << file << ": " << check.problems.size() << " problem(s)\n";
    return kFindings;
  }
  std::cout << file << ": valid (payer " << check.set->payer_id << ", " << check.set->rules.size() << " rules)\n";
  return kOk;
}

std::shared_ptr<const config::RuleCatalog> catalog_of(const std::string& file) {
  auto set = config::load_rule_file(file);
  if (!set) {
    std::cerr << set.error().message << "\n";
    return nullptr;
  }
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(std::move(set).value());
  auto catalog = config::RuleCatalog::build(std::move(sets));
  if (!catalog) {
    std::cerr << catalog.error().message << "\n";
    return nullptr;
  }
  return std::move(catalog).value();
}

int diff(const std::string& file_a, const std::string& file_b, const std::string& requests_file) {
  auto a = catalog_of(file_a);
  auto b = catalog_of(file_b);
  std::string requests_text;
  if (!a || !b || !read_text(requests_file, requests_text)) return kUsage;
  auto requests = hooks::read_sample_requests(requests_text);
  if (!requests) {
    std::cerr << requests_file << ": " << requests.error().message << "\n";
    return kUsage;
  }
  const auto changes = hooks::diff_decisions(a, b, *requests);
  for (const auto& c : changes) {
    std::cout << "request " << c.request << (c.order.empty() ? "" : " " + c.order) << "\n  - " << c.before
              << "\n  + " << c.after << "\n";
  }
  std::cout << changes.size() << " decision(s) differ on " << requests->size() << " request(s)\n";
  return changes.empty() ? kOk : kFindings;
}

int publish(const std::string& file, const std::string& server, const std::string& payer,
            const std::string& token_file, const std::string& comment) {
  std::string document;
  if (!read_text(file, document)) return kUsage;
  auto read_token = fhir::read_token_file(token_file, "--token-file");
  if (!read_token) {
    std::cerr << read_token.error().message << "\n";
    return kUsage;
  }
  const std::string& token = *read_token;
  // Checked locally first: the same problems, without a round trip.
  if (const int valid = validate(file); valid != kOk) return valid;

  std::string url = server;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/payers/" + payer + "/rules";
  fhir::HttpCall call;
  call.method = "PUT";
  call.url = url;
  call.headers = {"Content-Type: application/json"};
  if (!comment.empty()) call.headers.push_back("X-Crdex-Comment: " + comment);
  call.access_token = token;
  call.body = document;
  call.timeout = std::chrono::seconds(120);
  auto answer = fhir::perform_http_call(call);
  if (!answer.transferred) {
    std::cerr << url << ": " << answer.problem << "\n";
    return kServer;
  }
  const long status = answer.status;
  const std::string& body = answer.body;
  std::cout << body << "\n";
  if (status == 201) return kOk;
  std::cerr << "PUT " << url << ": HTTP " << status << "\n";
  if (status == 401 || status == 403) return kRefused;
  if (status == 422 || status == 409 || status == 400) return kFindings;
  return kServer;
}

int issue_token(const std::string& data_dir, const std::string& store_url, const std::string& payer,
                const std::string& token_file) {
  auto location = fhir::parse_store_location(store_url, data_dir);
  if (!location) {
    std::cerr << location.error().message << "\n";
    return kUsage;
  }
  std::error_code ec;
  if (!location->is_postgresql()) std::filesystem::create_directories(location->sqlite_dir, ec);
  auto store = config::open_rule_store(*location);
  if (!store) {
    std::cerr << store.error().message << "\n";
    return kUsage;
  }
  const std::string token = config::new_publisher_token();
  if (token.empty()) return kServer;
  if (auto stored = (*store)->set_publisher_token(payer, token); !stored) {
    std::cerr << stored.error().message << "\n";
    return kServer;
  }
  if (token_file.empty()) {
    std::cout << token << "\n";
  } else {
    const mode_t old_mask = umask(077);  // the token file is for its owner only
    std::ofstream(token_file) << token << "\n";
    umask(old_mask);
    std::cout << "publisher token for " << payer << " written to " << token_file << "\n";
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"crdex-rules: validate, compare and publish crdex payer rule sets (crdex-rules/1).\n"
               "Exit codes: 0 ok, 1 invalid rule set or decisions differ, 2 usage or file error,\n"
               "3 token refused, 4 server unreachable or failed."};
  app.require_subcommand(1);
  std::string file, file_b, requests, server, payer, token_file, comment, data_dir, store_url;

  auto* validate_cmd = app.add_subcommand("validate", "check a rule set file and list every problem");
  validate_cmd->add_option("FILE", file, "rule set file")->required();
  auto* diff_cmd = app.add_subcommand("diff", "list the decisions that differ between two rule sets");
  diff_cmd->add_option("FILE_A", file, "rule set before")->required();
  diff_cmd->add_option("FILE_B", file_b, "rule set after")->required();
  diff_cmd->add_option("--requests", requests,
                       "JSON array of {\"service\": id, \"request\": hook request} to evaluate")
      ->required();
  auto* publish_cmd = app.add_subcommand("publish", "publish a rule set to a crdex-server");
  publish_cmd->add_option("FILE", file, "rule set file")->required();
  publish_cmd->add_option("--server", server, "base URL, e.g. https://crd.example.org")->required();
  publish_cmd->add_option("--payer", payer, "payer id")->required();
  publish_cmd->add_option("--token-file", token_file, "file holding the payer's publisher token")->required();
  publish_cmd->add_option("--comment", comment, "why this version (kept with it)");
  auto* token_cmd = app.add_subcommand("issue-token", "admin: create a payer's publisher token (replaces the old)");
  token_cmd->add_option("--data", data_dir, "crdex-server's --data directory")->required();
  token_cmd->add_option("--store", store_url, "crdex-server's --store, when it names PostgreSQL");
  token_cmd->add_option("--payer", payer, "payer id")->required();
  token_cmd->add_option("--token-file", token_file, "write the token here (mode 0600) instead of stdout");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  int code = kUsage;
  if (*validate_cmd) code = validate(file);
  if (*diff_cmd) code = diff(file, file_b, requests);
  if (*publish_cmd) code = publish(file, server, payer, token_file, comment);
  if (*token_cmd) code = issue_token(data_dir, store_url, payer, token_file);
  return code;
}
