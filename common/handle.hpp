// Owning wrappers for C library handles. A handle is a std::unique_ptr whose deleter is an empty
// type naming the C free function, so it is exactly pointer-sized and moves like any unique_ptr.
#pragma once

#include <memory>

namespace ratchet {

// Deleter that calls Free(p) for a non-null p. `Free` is a function (pointer) known at compile
// time.
template <auto Free>
struct FreeWith {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) Free(p);
  }
};

// Handle<EVP_MD_CTX, EVP_MD_CTX_free> owns an EVP_MD_CTX*.
template <class T, auto Free>
using Handle = std::unique_ptr<T, FreeWith<Free>>;

// For C APIs whose free function takes T** and nulls it (Esys_Finalize, Tss2_TctiLdr_Finalize).
template <auto FreeByRef>
struct FreeByAddress {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) FreeByRef(&p);
  }
};

template <class T, auto FreeByRef>
using HandleByAddress = std::unique_ptr<T, FreeByAddress<FreeByRef>>;

}  // namespace ratchet
