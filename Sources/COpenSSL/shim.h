// The OpenSSL headers Bulla uses, plus function forms of the macros Swift cannot import.
#ifndef BULLA_COPENSSL_SHIM_H
#define BULLA_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
#include <openssl/pkcs12.h>

static inline void bulla_openssl_free(void *ptr) { OPENSSL_free(ptr); }

static inline long bulla_bio_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

#endif
