/* Verification that does not abort: the whole chain is checked against a trust list and every
 * problem is kept, per certificate; the hostname is checked on its own. */
#ifndef TLSSCOPE_VERIFY_H
#define TLSSCOPE_VERIFY_H

#include <gnutls/x509.h>

#include "tlsscope/report.h"

struct verify_request {
	gnutls_x509_trust_list_t trust;	   /* every anchor in use */
	gnutls_x509_trust_list_t ca_files; /* the --ca anchors alone, or NULL */
	bool system_trust;		   /* the system store is part of trust */
	const char *name;		   /* name or IP to check, or NULL for none */
	const char *purpose;		   /* key purpose OID (GNUTLS_KP_TLS_WWW_SERVER), or NULL */
};

/* Verifies crts[0..n) (leaf first) as a peer sent them; fills out (verification fields) and
 * the per-certificate verify_status of chain[i] (chain may be NULL). */
void verify_run(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n,
		struct tls_verification *out, struct tls_cert_info *chain);

/* Checks the leaf against name (a DNS name or an IP literal); fills h. */
void verify_hostname(gnutls_x509_crt_t leaf, const char *name, struct tls_hostname_check *h);

/* True when the chain verifies (name ignored). Used by --strict during the handshake. */
unsigned verify_status(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n);

#endif
