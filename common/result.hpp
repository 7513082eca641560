// Result<T>: the return type at every module boundary. C++23 std::expected (GCC 12 has the type
// but not its monadic members, hence the TRY macros; see expected.hpp for clang-14).
#pragma once

#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/expected.hpp"

namespace ratchet {

template <class T>
using Result = Expected<T, Error>;

using Status = Result<void>;

[[nodiscard]] inline Unexpected<Error> fail(Code code, std::string message) {
  return Unexpected<Error>(std::in_place, code, std::move(message));
}

template <class... Args>
[[nodiscard]] Unexpected<Error> fail(Code code, fmt::format_string<Args...> format,
                                     Args&&... args) {
  return fail(code, fmt::format(format, std::forward<Args>(args)...));
}

[[nodiscard]] inline Unexpected<Error> fail(Error error) {
  return Unexpected<Error>(std::move(error));
}

// Adds context to the error of a failed result and passes it on: `return with_context(r, path);`
template <class T>
[[nodiscard]] Result<T> with_context(Result<T> result, std::string_view where) {
  if (!result) result.error().context(where);
  return result;
}

}  // namespace ratchet

// Evaluates a Result expression; on error returns the error from the enclosing function, otherwise
// yields the value. GCC/Clang statement expression; __extension__ keeps -Wpedantic quiet.
#define RATCHET_TRY(expr)                                                                       \
  __extension__({                                                                               \
    auto&& ratchet_try_result_ = (expr);                                                        \
    if (!ratchet_try_result_.has_value())                                                       \
      return ::ratchet::Unexpected<::ratchet::Error>(::std::move(ratchet_try_result_).error()); \
    ::std::move(ratchet_try_result_).value();                                                   \
  })

// As RATCHET_TRY, adding context (e.g. a file name) to the error on the way out.
#define RATCHET_TRY_CTX(expr, where)                                             \
  __extension__({                                                                \
    auto&& ratchet_try_result_ = (expr);                                         \
    if (!ratchet_try_result_.has_value())                                        \
      return ::ratchet::Unexpected<::ratchet::Error>(                            \
          ::std::move(::std::move(ratchet_try_result_).error().context(where))); \
    ::std::move(ratchet_try_result_).value();                                    \
  })
