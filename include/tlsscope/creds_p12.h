/* PKCS#12 files (creds_p12.c), read within limits: GnuTLS's key derivation cannot be
 * interrupted, so a file that names absurd iteration counts is refused before it starts. */
#ifndef TLSSCOPE_CREDS_P12_H
#define TLSSCOPE_CREDS_P12_H

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "tlsscope/util.h"

/* Loads a PKCS#12 file: the certificate that matches the key first, then its chain. Returns
 * the number of certificates (array for chain_free) and the key, or -1 with err set. */
int creds_load_p12(const char *path, const char *password, gnutls_x509_crt_t **crts,
		   gnutls_privkey_t *key, struct tls_error *err);

#endif
