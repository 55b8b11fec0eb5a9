#pragma once
// Numbers exactly as written.
//
// simdjson's DOM keeps a number as an int64, a uint64 or a double, and it
// rejects integers beyond 64 bits and exponents beyond a double's range. FHIR
// decimals carry their precision in their spelling (`1.50` is not `1.5`), and
// CRD's coverage-information update hands the EHR its order back as sent, so
// crdex never writes a copied number from its binary value:
//
// - parse_json() accepts every number JSON allows: when simdjson refuses one,
//   the text is parsed again with each refused number respelled in the same
//   number of bytes into one simdjson takes (a close double, for the rules'
//   comparisons), and nothing else changes;
// - a SourceSpelling, alive on the thread while the document is read and
//   written, ties the document to the text it was parsed from; write_raw()
//   and minified() then copy every number of that document byte for byte
//   from the text (found by its rank among the document's numbers, which is
//   the same in the text and on simdjson's tape).
//
// A document without a live SourceSpelling is written as before (numbers from
// their binary value). The tape and the text are walked together on demand,
// only as far as the last number written, once per document: a request
// without numbers in what is copied costs nothing.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::fhir {

// Parses `text` into `parser`'s own document (or `document`), accepting every
// valid JSON number. The error is simdjson's for text that is not JSON.
simdjson::error_code parse_json(simdjson::dom::parser& parser, std::string_view text, simdjson::dom::element& root);
simdjson::error_code parse_json_into(simdjson::dom::parser& parser, simdjson::dom::document& document,
                                     std::string_view text, simdjson::dom::element& root);

// While alive, numbers of `document` are written as spelled in `text` (which
// must outlive this object and be the text `document` was parsed from).
// Lives on one thread: create and destroy it on the thread that writes.
class SourceSpelling {
 public:
  SourceSpelling(const simdjson::dom::document& document, std::string_view text);
  ~SourceSpelling();
  SourceSpelling(const SourceSpelling&) = delete;
  SourceSpelling& operator=(const SourceSpelling&) = delete;

  // Parser convenience: the document parse_json() filled.
  SourceSpelling(const simdjson::dom::parser& parser, std::string_view text) : SourceSpelling(parser.doc, text) {}

  const simdjson::dom::document* document() const { return document_; }
  // The spelling of the number at `tape_index` of the document, or "" when
  // it cannot be told (not a number of this document).
  std::string_view spelling(size_t tape_index);

 private:
  void advance_to(size_t tape_index);
  const simdjson::dom::document* document_;
  std::string_view text_;
  // How far the tape and the text have been walked, in step (numbers are in
  // the same order in both); what was found so far.
  size_t tape_pos_ = 0;
  size_t text_pos_ = 0;
  bool broken_ = false;
  std::vector<uint32_t> tape_indices_;    // of the document's numbers, ascending
  std::vector<std::string_view> tokens_;  // their text, same order
};

// The source spelling of the number `element`, when its document has a live
// SourceSpelling on this thread and the spelling has the element's value;
// otherwise "".
std::string_view number_spelling(simdjson::dom::element element);

// `element` as minified JSON text, numbers as spelled (see above); the
// replacement for simdjson::minify(element).
std::string minified(simdjson::dom::element element);

// Every number token of JSON text `text`, in order (strings skipped).
std::vector<std::string_view> number_tokens(std::string_view text);

}  // namespace crdex::fhir
