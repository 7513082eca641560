#include "agent/update/http_put.hpp"

#include "common/handles/curl.hpp"

namespace ratchet::update {

Status http_put_json(const std::string& url, const std::string& body,
                     const streaming::HttpOptions& options) {
  curl::Easy easy(curl_easy_init());
  if (!easy) return fail(Code::Internal, "curl_easy_init failed");
  curl::Slist headers(curl_slist_append(nullptr, "Content-Type: application/json"));
  if (!headers) return fail(Code::Internal, "curl_slist_append failed");
  CURL* h = easy.get();
  const auto discard = +[](char*, std::size_t size, std::size_t n, void*) -> std::size_t {
    return size * n;  // the answer's body is not needed
  };
  bool ok = curl_easy_setopt(h, CURLOPT_URL, url.c_str()) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT") == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str()) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(body.size())) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                             static_cast<long>(options.connect_timeout.count())) == CURLE_OK &&
            curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L) == CURLE_OK;
  if (ok && !options.ca_file.empty())
    ok = curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_file.c_str()) == CURLE_OK;
  if (ok && !options.client_cert.empty())
    ok = curl_easy_setopt(h, CURLOPT_SSLCERT, options.client_cert.c_str()) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_SSLKEY, options.client_key.c_str()) == CURLE_OK;
  if (!ok) return fail(Code::Internal, "{}: setting up the request failed", url);
  if (const CURLcode rc = curl_easy_perform(h); rc != CURLE_OK)
    return fail(Code::Network, "PUT {}: {}", url, curl_easy_strerror(rc));
  long status = 0;
  if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
    return fail(Code::Internal, "PUT {}: no status", url);
  if (status < 200 || status >= 300) return fail(Code::HttpStatus, "PUT {}: HTTP {}", url, status);
  return {};
}

}  // namespace ratchet::update
