// Owning handles for libcurl.
#pragma once

#include <curl/curl.h>

#include "common/handle.hpp"

namespace ratchet::curl {

using Easy = Handle<CURL, curl_easy_cleanup>;
using Slist = Handle<curl_slist, curl_slist_free_all>;

}  // namespace ratchet::curl
