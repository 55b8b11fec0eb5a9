#include <crdex/cdex/signed_reads.hpp>

#include <crdex/fhir/instant.hpp>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace crdex::cdex {

namespace {

// A file named in the agreements file, relative to it.
fhir::Result<std::string> read_beside(const std::string& agreements, std::string_view name, const char* key) {
  std::filesystem::path path(name);
  if (path.is_relative()) path = std::filesystem::path(agreements).parent_path() / path;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf()))
    return fhir::Error::invalid(agreements + ": \"" + key + "\": cannot read " + path.string(), key);
  return text.str();
}

std::string member_or_empty(simdjson::dom::element object, const char* key) {
  std::string_view value;
  return object[key].get(value) == simdjson::SUCCESS ? std::string(value) : std::string();
}

fhir::Error signing_refused(std::string message) {
  return fhir::Error{400, fhir::IssueType::business_rule, std::move(message), ""};
}

}  // namespace

fhir::Result<SignedReads> SignedReads::from_file(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.load(path).get(root); error != simdjson::SUCCESS)
    return fhir::Error::invalid(path + ": not a readable JSON file (" + simdjson::error_message(error) + ")");
  simdjson::dom::array listed;
  if (root["signedReadsFor"].get(listed) != simdjson::SUCCESS)
    return fhir::Error::invalid(path + ": \"signedReadsFor\" must be an array of consumer names", "signedReadsFor");
  std::vector<std::string> consumers;
  for (const auto entry : listed) {
    std::string_view name;
    if (entry.get(name) != simdjson::SUCCESS || name.empty())
      return fhir::Error::invalid(path + ": each of \"signedReadsFor\" is a client_id, \"client-token\" or \"*\"",
                                  "signedReadsFor");
    consumers.emplace_back(name);
  }
  const auto key_file = member_or_empty(root, "signingKey");
  const auto chain_file = member_or_empty(root, "signingCertificates");
  if (key_file.empty() != chain_file.empty())
    return fhir::Error::invalid(path + ": \"signingKey\" and \"signingCertificates\" go together", "signingKey");
  std::optional<BundleSigner> signer;
  if (!key_file.empty()) {
    const auto name = member_or_empty(root, "algorithm");
    const auto algorithm = parse_jws_algorithm(name.empty() ? "RS256" : name);
    if (!algorithm)
      return fhir::Error::invalid(path + ": \"algorithm\" is RS256, RS384, ES256 or ES384", "algorithm");
    auto key = read_beside(path, key_file, "signingKey");
    if (!key) return key.error();
    auto chain = read_beside(path, chain_file, "signingCertificates");
    if (!chain) return chain.error();
    auto created = BundleSigner::create(*key, *chain, *algorithm);
    if (!created) return fhir::Error::invalid(path + ": " + created.error().message, "signingKey");
    signer = std::move(*created);
  }
  SignatureWho who;
  simdjson::dom::element signer_element;
  if (root["signer"].get(signer_element) == simdjson::SUCCESS) {
    who.reference = member_or_empty(signer_element, "reference");
    who.identifier_system = member_or_empty(signer_element, "identifierSystem");
    who.identifier_value = member_or_empty(signer_element, "identifierValue");
    who.display = member_or_empty(signer_element, "display");
  }
  // CDex cdex-13: Signature.who is a reference, or an identifier with a display.
  if (signer && who.reference.empty() && (who.identifier_value.empty() || who.display.empty()))
    return fhir::Error::invalid(path + ": with a signingKey, \"signer\" needs a \"reference\", or an "
                                "\"identifierValue\" (and \"identifierSystem\") with a \"display\" (Signature.who)",
                                "signer");
  return SignedReads(std::move(consumers), std::move(signer), std::move(who));
}

bool SignedReads::required_for(std::string_view consumer) const {
  return std::any_of(consumers_.begin(), consumers_.end(),
                     [&](const std::string& agreed) { return agreed == "*" || agreed == consumer; });
}

fhir::Result<std::string> SignedReads::answer(std::string_view consumer, std::string resource_json) const {
  if (!required_for(consumer)) return resource_json;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view type;
  if (parser.parse(resource_json).get(root) != simdjson::SUCCESS || root["resourceType"].get(type) != simdjson::SUCCESS)
    return fhir::Error{500, fhir::IssueType::exception, "the answer to sign is not a FHIR resource", ""};
  if (type != "Bundle")
    return signing_refused("the agreement with this Data Consumer requires signed data, and a " + std::string(type) +
                           " read cannot be signed (CDex signs Bundles): search instead to get it in a signed "
                           "searchset Bundle");
  if (!signer_)
    return signing_refused(
        "the agreement with this Data Consumer requires signed data, and this Data Source holds no signing key "
        "(signingKey in --cdex-source-signature-agreements): it cannot answer with signed data");
  return signer_->sign(resource_json, who_, fhir::now_instant());
}

}  // namespace crdex::cdex
