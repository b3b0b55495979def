// Result<T>: a value of type T or the error Status that prevented it. Accessing value() of
// an error Result is a bug (it aborts); check ok() first or use STRM_ASSIGN_OR_RETURN.
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/status.h"

namespace strm {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) std::abort();   // an OK status carries no value
  }
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status>>>
  Result(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { return Get(); }
  const T& value() const& { return const_cast<Result*>(this)->Get(); }
  // By value on temporaries, so `for (auto& x : *Make())` does not dangle.
  T value() && { return std::move(Get()); }
  T& operator*() & { return Get(); }
  const T& operator*() const& { return const_cast<Result*>(this)->Get(); }
  T operator*() && { return std::move(Get()); }
  T* operator->() { return &Get(); }
  const T* operator->() const { return &const_cast<Result*>(this)->Get(); }

 private:
  T& Get() {
    if (!ok()) std::abort();
    return std::get<T>(v_);
  }
  std::variant<T, Status> v_;
};

}  // namespace strm

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the value into
// `lhs` (a declaration such as `auto x` or an existing variable).
// NOLINTBEGIN(bugprone-macro-parentheses): `lhs` is a declaration, it cannot be parenthesised.
#define STRM_ASSIGN_OR_RETURN(lhs, rexpr) \
  STRM_ASSIGN_OR_RETURN_IMPL_(STRM_CONCAT_(strm_result_, __LINE__), lhs, rexpr)
#define STRM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
