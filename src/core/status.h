// Status: the outcome of an operation that can fail, carried across module boundaries
// instead of exceptions. A Status is either OK or an error code with one sentence that a
// user can read (it names the entity, the file, the row and the cause where they exist).
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace strm {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the input (a file, a flag, a JSON document, a row) is wrong
  kNotFound,            // a named entity or object does not exist
  kAlreadyExists,       // an entity with that name exists
  kFailedPrecondition,  // the operation is not allowed in the current state
  kPermissionDenied,    // credentials or permissions are missing
  kUnavailable,         // a server or store could not be reached; a retry may help
  kIo,                  // a local I/O error
  kInternal,            // a bug or an unexpected library failure
  kCancelled,           // the operation was stopped on request (a signal, a delete)
};

// The lowercase name of a code ("invalid argument"), for logs.
std::string_view StatusCodeName(StatusCode code);
// The code of a StatusCodeName; kInternal for a name that is none.
StatusCode StatusCodeFromName(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is `prefix + ": " + message()`; OK stays OK.
  Status WithContext(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIo, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }

}  // namespace strm

#define STRM_CONCAT_INNER_(a, b) a##b
#define STRM_CONCAT_(a, b) STRM_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function if it is an error.
#define STRM_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::strm::Status strm_status_ = (expr);        \
    if (!strm_status_.ok()) return strm_status_; \
  } while (0)
