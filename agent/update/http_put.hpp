// One HTTP PUT of a small JSON body (the ECU version manifest to the Director), with the same
// TLS options as downloads. Transient errors (network, 5xx) are reported as such.
#pragma once

#include <string>

#include "streaming/http_source.hpp"

namespace ratchet::update {

[[nodiscard]] Status http_put_json(const std::string& url, const std::string& body,
                                   const streaming::HttpOptions& options);

}  // namespace ratchet::update
