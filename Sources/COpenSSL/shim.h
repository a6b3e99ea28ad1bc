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
#include <openssl/sha.h>
#include <openssl/params.h>
#include <openssl/kdf.h>

/// `EVP_PKEY_PUBLIC_KEY`, a selection macro of OR-ed flags that Swift does not import.
static inline int bulla_evp_pkey_public_key_selection(void) { return EVP_PKEY_PUBLIC_KEY; }

/// The parameters `EVP_PKEY_fromdata` takes for an EC public key: the curve's name and the
/// encoded point. The parameter names are OpenSSL's static strings (a name bridged from Swift
/// would be freed while the array still points at it); `group` and `point` must outlive `params`.
static inline void bulla_ec_public_key_params(OSSL_PARAM params[3], char *group, unsigned char *point, size_t length) {
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, length);
    params[2] = OSSL_PARAM_construct_end();
}

/// The parameters of OpenSSL's SCRYPT KDF (`EVP_KDF_derive`): the password, the salt, and N, r,
/// p and the memory allowance from `numbers[0..3]`. As above, the names are OpenSSL's static
/// strings; `password`, `salt` and `numbers` must outlive `params`.
static inline void bulla_scrypt_params(OSSL_PARAM params[7], const unsigned char *password, size_t passwordLength,
                                       const unsigned char *salt, size_t saltLength, uint64_t numbers[4]) {
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password, passwordLength);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltLength);
    params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &numbers[0]);
    params[3] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_R, &numbers[1]);
    params[4] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_P, &numbers[2]);
    params[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &numbers[3]);
    params[6] = OSSL_PARAM_construct_end();
}

static inline void bulla_openssl_free(void *ptr) { OPENSSL_free(ptr); }

static inline long bulla_bio_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/// SHA-256 of one buffer with a context on the stack: nothing is allocated or fetched, which
/// matters for tree hashing (millions of 65-byte inputs). The low-level API is deprecated in
/// OpenSSL 3 in favour of EVP, which allocates per call (and the one-shot SHA256() fetches the
/// algorithm by name each time); its output is the same digest.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static inline int bulla_sha256(const void *data, size_t length, unsigned char *out) {
    SHA256_CTX context;
    return SHA256_Init(&context) && SHA256_Update(&context, data, length) && SHA256_Final(out, &context);
}
#pragma clang diagnostic pop

// Certificates (issue 20): X.509 extensions (GENERAL_NAME, key usage flags, EXFLAG_*) and the
// chain verifier's store, context and parameters.
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>

/// `XN_FLAG_RFC2253` without `ASN1_STRFLGS_ESC_MSB`: a name printed as RFC 2253 text with its
/// UTF-8 kept readable (openssl's `-nameopt rfc2253,-esc_msb`). The flag is an OR of macros
/// Swift does not import.
static inline unsigned long bulla_name_print_flags(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }

// Timestamps (issue 20, BullaCrypto/Timestamps): RFC 3161 responses and tokens (TS_RESP,
// TS_TST_INFO, TS_VERIFY_CTX) and the PKCS #7 signed data they travel in.
#include <openssl/ts.h>

#endif
