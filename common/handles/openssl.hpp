// Owning handles for the OpenSSL 3 objects ratchet uses.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "common/handle.hpp"

namespace ratchet::ossl {

using MdCtx = Handle<EVP_MD_CTX, EVP_MD_CTX_free>;
using PKey = Handle<EVP_PKEY, EVP_PKEY_free>;
using PKeyCtx = Handle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using Mac = Handle<EVP_MAC, EVP_MAC_free>;
using MacCtx = Handle<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using Bio = Handle<BIO, BIO_free_all>;
using BigNum = Handle<BIGNUM, BN_free>;
using EcdsaSig = Handle<ECDSA_SIG, ECDSA_SIG_free>;

}  // namespace ratchet::ossl
