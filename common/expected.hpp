// ratchet::Expected / ratchet::Unexpected: std::expected where the standard library has it (GCC 12
// with -std=c++2b), else a small stand-in with the same interface subset. clang-14, which builds
// the fuzzers and runs clang-tidy, cannot compile libstdc++'s <expected> (it lacks conditionally
// trivial special members), so the stand-in is always compiled and unit-tested.
#pragma once

#include <concepts>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>
#include <version>

#if defined(__cpp_lib_expected)
#include <expected>
#endif

namespace ratchet::compat {

template <class E>
class Unexpected {
 public:
  template <class... Args>
  explicit Unexpected(std::in_place_t, Args&&... args) : error_(std::forward<Args>(args)...) {}
  explicit Unexpected(E e) : error_(std::move(e)) {}

  E& error() & noexcept { return error_; }
  const E& error() const& noexcept { return error_; }
  E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

struct BadExpectedAccess : std::logic_error {
  BadExpectedAccess() : std::logic_error("bad expected access") {}
};

template <class T, class E>
class Expected {
 public:
  using value_type = T;
  using error_type = E;

  Expected() requires std::default_initializable<T> : v_(std::in_place_index<0>) {}
  // Implicit from a value, as std::expected; the constraint keeps it from hiding copy and move.
  // clang-format off
  template <class U = T>
    requires(std::constructible_from<T, U> && !std::same_as<std::remove_cvref_t<U>, Expected> &&
             !std::same_as<std::remove_cvref_t<U>, std::in_place_t>)
  Expected(U&& value)  // NOLINT(bugprone-forwarding-reference-overload)
      : v_(std::in_place_index<0>, std::forward<U>(value)) {}
  // clang-format on
  template <class G>
  Expected(const Unexpected<G>& u) : v_(std::in_place_index<1>, u.error()) {}  // NOLINT
  template <class G>
  Expected(Unexpected<G>&& u) : v_(std::in_place_index<1>, std::move(u).error()) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return check(), std::get<0>(v_); }
  const T& value() const& { return check(), std::get<0>(v_); }
  T&& value() && { return check(), std::get<0>(std::move(v_)); }
  T& operator*() & noexcept { return *std::get_if<0>(&v_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  T* operator->() noexcept { return std::get_if<0>(&v_); }
  const T* operator->() const noexcept { return std::get_if<0>(&v_); }

  E& error() & noexcept { return *std::get_if<1>(&v_); }
  const E& error() const& noexcept { return *std::get_if<1>(&v_); }
  E&& error() && noexcept { return std::move(*std::get_if<1>(&v_)); }

 private:
  void check() const {
    if (!has_value()) throw BadExpectedAccess();
  }
  std::variant<T, E> v_;
};

template <class E>
class Expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Expected() noexcept = default;
  template <class G>
  Expected(const Unexpected<G>& u) : error_(u.error()) {}  // NOLINT
  template <class G>
  Expected(Unexpected<G>&& u) : error_(std::move(u).error()) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (!has_value()) throw BadExpectedAccess();
  }
  void operator*() const noexcept {}

  E& error() & noexcept { return *error_; }
  const E& error() const& noexcept { return *error_; }
  E&& error() && noexcept { return std::move(*error_); }

 private:
  std::optional<E> error_;
};

}  // namespace ratchet::compat

namespace ratchet {

#if defined(__cpp_lib_expected)
template <class T, class E>
using Expected = std::expected<T, E>;
template <class E>
using Unexpected = std::unexpected<E>;
#else
template <class T, class E>
using Expected = compat::Expected<T, E>;
template <class E>
using Unexpected = compat::Unexpected<E>;
#endif

}  // namespace ratchet
