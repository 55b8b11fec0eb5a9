#pragma once
// Result<T>: the value a component returns, or the Error that explains why not.
//
// Errors cross component boundaries only as values (never as exceptions). Each
// Error already knows how it renders as a FHIR OperationOutcome and which HTTP
// status describes it, so the server face and the plugin face report the same
// failure the same way.

#include <string>
#include <utility>
#include <variant>

namespace crdex::fhir {

// The subset of the FHIR R4 IssueType value set that crdex reports.
enum class IssueType {
  invalid,
  structure,
  required,
  value,
  invariant,
  security,
  not_found,
  not_supported,
  too_costly,
  business_rule,
  processing,
  exception,
  timeout,
  transient,
};

// The FHIR code for an IssueType, e.g. "not-found".
const char* issue_type_code(IssueType type);

struct Error {
  // HTTP status that best describes the failure (400, 404, 412, 413, ...).
  int http_status = 500;
  IssueType type = IssueType::exception;
  // Human-readable explanation; safe to show to the caller.
  std::string message;
  // Where in the input the problem is, e.g. "context.draftOrders". Optional.
  std::string expression;

  // 400 with issue type "invalid": the caller's input is wrong at `expression`.
  static Error invalid(std::string message, std::string expression = {}) {
    return {400, IssueType::invalid, std::move(message), std::move(expression)};
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace crdex::fhir
