#include "crdex/fhir/json_numbers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "crdex/fhir/json_writer.hpp"

namespace crdex::fhir::detail {
struct TapeAccess;
}

// simdjson's element keeps where it sits on its document's tape private, but
// befriends every string_builder<T>: this one only reads the two fields.
template <>
class simdjson::internal::string_builder<crdex::fhir::detail::TapeAccess> {
 public:
  static const simdjson::dom::document* document(const simdjson::dom::element& e) { return e.tape.doc; }
  static size_t index(const simdjson::dom::element& e) { return e.tape.json_index; }
};

namespace crdex::fhir {

namespace {

using TapeAccess = simdjson::internal::string_builder<detail::TapeAccess>;

bool starts_number(char c) { return c == '-' || (c >= '0' && c <= '9'); }
bool in_number(char c) { return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'; }

// The live SourceSpellings of this thread, oldest first: one per document in
// use (the request, each fetched prefetch answer). A plain array: a
// thread_local with a destructor would pin libcrdex.so in memory after
// dlclose on a thread that never exits (docs/plugin.md). Beyond the capacity
// a document is not registered and its numbers are written from their value.
constexpr size_t kMaxLiveSpellings = 64;
thread_local SourceSpelling* thread_spellings[kMaxLiveSpellings];
thread_local size_t thread_spelling_count = 0;

// `token` respelled in as many bytes into a number simdjson takes, or false
// when it already takes it: integers of 19 digits or more (beyond 64 bits
// perhaps) become `<all but the last two digits>e2`; a number beyond a
// double's range becomes 0e0 padded with spaces.
bool respell(std::string_view token, char* out) {
  const bool negative = token.front() == '-';
  const std::string_view digits = token.substr(negative ? 1 : 0);
  const bool integer = digits.find_first_of(".eE") == std::string_view::npos;
  if (integer) {
    if (digits.size() < 19) return false;
    const size_t keep = token.size() - 2;
    std::memcpy(out, token.data(), keep);
    out[keep] = 'e';
    out[keep + 1] = '2';
    return true;
  }
  const std::string copy(token);
  const double value = std::strtod(copy.c_str(), nullptr);
  if (std::isfinite(value)) return false;
  // At least "1e309": room for "0e0", a double like the value it stands for.
  std::memcpy(out, "0e0", 3);
  std::memset(out + 3, ' ', token.size() - 3);
  return true;
}

template <class Parse>
simdjson::error_code parse_accepting_all_numbers(std::string_view text, simdjson::dom::element& root, Parse&& parse) {
  auto error = parse(text).get(root);
  if (error != simdjson::NUMBER_ERROR) return error;
  std::string respelled(text);
  bool changed = false;
  for (auto token : number_tokens(text)) {
    const auto at = static_cast<size_t>(token.data() - text.data());
    changed |= respell(token, respelled.data() + at);
  }
  if (!changed) return error;
  return parse(respelled).get(root);
}

// Whether `spelling` reads as `element`'s value (a guard against a text that
// is not the document's: then the binary value is written instead).
bool spells_value(std::string_view spelling, simdjson::dom::element element) {
  const char* first = spelling.data();
  const char* last = first + spelling.size();
  switch (element.type()) {
    case simdjson::dom::element_type::INT64: {
      int64_t v = 0;
      const auto r = std::from_chars(first, last, v);
      return r.ec == std::errc{} && r.ptr == last && v == element.get_int64().value_unsafe();
    }
    case simdjson::dom::element_type::UINT64: {
      uint64_t v = 0;
      const auto r = std::from_chars(first, last, v);
      return r.ec == std::errc{} && r.ptr == last && v == element.get_uint64().value_unsafe();
    }
    case simdjson::dom::element_type::DOUBLE: {
      const double expected = element.get_double().value_unsafe();
      double v = 0;
      const auto r = std::from_chars(first, last, v);
      if (r.ptr != last) return false;
      if (r.ec == std::errc::result_out_of_range) return expected == 0;  // respelled beyond a double's range
      if (r.ec != std::errc{}) return false;
      // A respelled integer reads a few units in the last place away.
      return v == expected || std::fabs(v - expected) <= 1e-12 * std::fabs(expected);
    }
    default: return false;
  }
}

}  // namespace

namespace {

// The next number token of `text` at or after `from` (strings skipped), or an
// empty view when there is none; `from` moves past it.
std::string_view next_number_token(std::string_view text, size_t& from) {
  const char* p = text.data() + from;
  const char* const end = text.data() + text.size();
  while (p < end) {
    const char c = *p;
    if (c == '"') {
      // Skip the string: to the next quote not escaped by an odd run of backslashes.
      ++p;
      for (;;) {
        const auto* quote = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
        if (!quote) {
          from = text.size();
          return {};
        }
        const char* back = quote;
        while (back > p && back[-1] == '\\') --back;
        p = quote + 1;
        if ((quote - back) % 2 == 0) break;
      }
    } else if (starts_number(c)) {
      const char* start = p;
      while (p < end && in_number(*p)) ++p;
      from = static_cast<size_t>(p - text.data());
      return {start, static_cast<size_t>(p - start)};
    } else {
      ++p;
    }
  }
  from = text.size();
  return {};
}

}  // namespace

std::vector<std::string_view> number_tokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  size_t from = 0;
  for (auto token = next_number_token(text, from); !token.empty(); token = next_number_token(text, from))
    tokens.push_back(token);
  return tokens;
}

simdjson::error_code parse_json(simdjson::dom::parser& parser, std::string_view text, simdjson::dom::element& root) {
  return parse_accepting_all_numbers(text, root, [&](std::string_view t) { return parser.parse(t.data(), t.size()); });
}

simdjson::error_code parse_json_into(simdjson::dom::parser& parser, simdjson::dom::document& document,
                                     std::string_view text, simdjson::dom::element& root) {
  return parse_accepting_all_numbers(text, root, [&](std::string_view t) {
    return parser.parse_into_document(document, reinterpret_cast<const uint8_t*>(t.data()), t.size());
  });
}

SourceSpelling::SourceSpelling(const simdjson::dom::document& document, std::string_view text)
    : document_(&document), text_(text) {
  if (thread_spelling_count < kMaxLiveSpellings) thread_spellings[thread_spelling_count++] = this;
}

SourceSpelling::~SourceSpelling() {
  auto* const begin = thread_spellings;
  auto* const end = thread_spellings + thread_spelling_count;
  auto* const found = std::find(begin, end, this);
  if (found == end) return;
  std::copy(found + 1, end, found);
  --thread_spelling_count;
}

// Walks the tape and the text together, only as far as `tape_index`: the
// numbers written are mostly the orders' (context comes before prefetch), so
// the long prefetch part of a request is usually never scanned.
void SourceSpelling::advance_to(size_t tape_index) {
  const uint64_t* tape = document_->tape.get();
  if (!tape) return;
  // tape[0] is the root word; its payload is the index of the closing root word.
  const size_t end = static_cast<size_t>(tape[0] & simdjson::internal::JSON_VALUE_MASK);
  if (tape_pos_ == 0) tape_pos_ = 1;
  while (tape_pos_ < end && tape_pos_ <= tape_index) {
    switch (static_cast<char>(tape[tape_pos_] >> 56)) {
      case 'l':
      case 'u':
      case 'd': {
        const auto token = next_number_token(text_, text_pos_);
        if (token.empty()) {  // text and tape disagree (not the document's text): spell nothing
          broken_ = true;
          return;
        }
        tape_indices_.push_back(static_cast<uint32_t>(tape_pos_));
        tokens_.push_back(token);
        tape_pos_ += 2;
        break;
      }
      default: ++tape_pos_;
    }
  }
}

std::string_view SourceSpelling::spelling(size_t tape_index) {
  if (broken_) return {};
  if (tape_index >= tape_pos_) advance_to(tape_index);
  if (broken_) return {};
  const auto it = std::lower_bound(tape_indices_.begin(), tape_indices_.end(), tape_index);
  if (it == tape_indices_.end() || *it != tape_index) return {};
  return tokens_[static_cast<size_t>(it - tape_indices_.begin())];
}

std::string_view number_spelling(simdjson::dom::element element) {
  if (thread_spelling_count == 0) return {};
  const auto* document = TapeAccess::document(element);
  // The newest first: a document parsed again replaces what it was.
  for (size_t i = thread_spelling_count; i-- > 0;) {
    SourceSpelling* const it = thread_spellings[i];
    if (it->document() != document) continue;
    const auto spelling = it->spelling(TapeAccess::index(element));
    return !spelling.empty() && spells_value(spelling, element) ? spelling : std::string_view{};
  }
  return {};
}

std::string minified(simdjson::dom::element element) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  write_raw(w, element);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::fhir
