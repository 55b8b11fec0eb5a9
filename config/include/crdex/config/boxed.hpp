#pragma once
// Boxed<T>: an optional value kept on the heap, shared (never changed) when
// copied. A rule outcome may carry five card templates that most rules leave
// out; held inline as std::optional they made every compiled Rule ~1.8 KiB,
// so 100 000 rules took 188 MiB. Boxed, an absent template costs 16 bytes and
// the copies of an outcome the engine makes share their templates.

#include <memory>
#include <utility>

namespace crdex::config {

template <class T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(T value) : value_(std::make_shared<const T>(std::move(value))) {}  // NOLINT: implicit like optional
  Boxed& operator=(T value) {
    value_ = std::make_shared<const T>(std::move(value));
    return *this;
  }

  bool has_value() const { return value_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return value_.get(); }
  void reset() { value_.reset(); }

 private:
  std::shared_ptr<const T> value_;
};

}  // namespace crdex::config
