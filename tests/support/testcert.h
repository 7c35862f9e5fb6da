/* Certificates made at test time with GnuTLS, so unit tests need no files. */
#ifndef TLSSCOPE_TESTS_TESTCERT_H
#define TLSSCOPE_TESTS_TESTCERT_H

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>

struct testcert_spec {
	const char *cn;
	const unsigned char *serial;
	size_t serial_len;
	const char *dns[4];
	const char *ip[4];
	const char *uri;
	const char *email;
	bool ca;
	bool server_auth, client_auth;
	gnutls_pk_algorithm_t pk; /* 0: ECDSA P-256 */
	unsigned bits;
	long long not_before, not_after; /* 0: now - 1 h, now + 90 days */
	gnutls_digest_algorithm_t hash;	 /* 0: SHA-256 */
};

/* Makes a certificate; signer NULL means self-signed. The key is returned in *key (caller
 * deinits) so it can sign others. */
gnutls_x509_crt_t testcert_make(const struct testcert_spec *spec, gnutls_x509_crt_t signer,
				gnutls_x509_privkey_t signer_key, gnutls_x509_privkey_t *key);

#endif
