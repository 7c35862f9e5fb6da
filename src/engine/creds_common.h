/* What creds.c and creds_p12.c share inside the engine (creds_common.c). */
#ifndef TLSSCOPE_ENGINE_CREDS_COMMON_H
#define TLSSCOPE_ENGINE_CREDS_COMMON_H

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether data is PEM (a "-----BEGIN" line), else DER. */
bool creds_is_pem(const unsigned char *data, size_t len);
/* Wipes data (a key file, a password) before freeing it. */
void creds_wipe_free(unsigned char *data, size_t len);
/* Wraps x in a gnutls_privkey_t that owns it; on failure x is freed and the GnuTLS code
 * returned. */
int creds_key_from_x509(gnutls_x509_privkey_t x, gnutls_privkey_t *out);

#endif
