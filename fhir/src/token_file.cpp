#include "crdex/fhir/token_file.hpp"

#include <cctype>
#include <fstream>

namespace crdex::fhir {

Result<std::string> read_token_file(const std::filesystem::path& file, std::string_view option) {
  const std::string where = std::string(option) + " " + file.string();
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token))
    return Error{500, IssueType::exception, where + ": cannot read the token file", ""};
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.size() < kMinTokenLength)
    return Error{500, IssueType::exception,
                 where + ": a token needs at least " + std::to_string(kMinTokenLength) + " characters", ""};
  return token;
}

}  // namespace crdex::fhir
