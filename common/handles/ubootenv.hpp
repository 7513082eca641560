// Owning handle for a libubootenv context: closes the environment, then frees the context.
#pragma once

#include <memory>

#include <libuboot.h>

namespace ratchet::ubootenv {

struct CtxDeleter {
  void operator()(uboot_ctx* ctx) const noexcept {
    if (ctx == nullptr) return;
    libuboot_close(ctx);
    libuboot_exit(ctx);
  }
};

using Ctx = std::unique_ptr<uboot_ctx, CtxDeleter>;

}  // namespace ratchet::ubootenv
