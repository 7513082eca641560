// Owning handle for a libarchive reader.
#pragma once

#include <archive.h>

#include "common/handle.hpp"

namespace ratchet::libarchive {

using Reader = Handle<archive, archive_read_free>;

}  // namespace ratchet::libarchive
