/* Verification that does not abort: the whole chain is checked against a trust list and every
 * problem is kept, per certificate; the hostname is checked on its own. */
#ifndef TLSSCOPE_VERIFY_H
#define TLSSCOPE_VERIFY_H

#include <gnutls/x509.h>

#include "tlsscope/creds.h"
#include "tlsscope/report.h"

struct verify_request {
	gnutls_x509_trust_list_t trust;	   /* every anchor in use */
	gnutls_x509_trust_list_t ca_files; /* the --ca anchors alone, or NULL */
	bool system_trust;		   /* the system store is part of trust */
	const struct tls_creds *creds;	   /* loads the system store when needed */
	bool crls;			   /* revocation lists are in trust (not in ca_files) */
	const char *name;		   /* name or IP to check, or NULL for none */
	const char *purpose;		   /* key purpose OID (GNUTLS_KP_TLS_WWW_SERVER), or NULL */
	gnutls_x509_crt_t *intermediates;  /* untrusted extra certificates, or NULL */
	unsigned n_intermediates;
	unsigned flags; /* gnutls_certificate_verify_flags (0: GnuTLS's default) */
};

/* Verifies crts[0..n) (leaf first) as a peer sent them; fills out (verification fields) and
 * the per-certificate verify_status of chain[i] (chain may be NULL). */
void verify_run(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n,
		struct tls_verification *out, struct tls_cert_info *chain);

/* Where the top of the sent chain has its issuer among req->intermediates. */
bool verify_issuer_in_intermediates(const struct verify_request *req, gnutls_x509_crt_t *crts,
				    unsigned n);

/* Checks the leaf against name (a DNS name or an IP literal); fills h. */
void verify_hostname(gnutls_x509_crt_t leaf, const char *name, struct tls_hostname_check *h);

/* A request for the anchors, intermediates and CRLs of c under policy p; name is the name to
 * check (NULL or p->check_hostname false: none); purpose a key purpose OID. */
void verify_request_init(struct verify_request *req, const struct tls_creds *c, const char *name,
			 const char *purpose, const struct tls_policy *p);

/* Everything about a peer chain for the report: the facts of each certificate (when r has none
 * yet), how they link, the --intermediates evidence, and the verification. */
void verify_report(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n,
		   struct tls_report *r);

/* verify_report again on r's chain as described (its DER), after what it is judged against
 * changed: fetched intermediates, other trust anchors. The verification fields start anew.
 * Returns 0, or -1 when r has no chain or it does not import. */
int verify_recheck(const struct verify_request *req, struct tls_report *r);

/* The path above the sent chain crts[0..n) (described in r->chain): describes the trust anchor
 * that completes it into r->anchor when the peer did not send it, and marks on each issuer a
 * pathLenConstraint or name constraint that the certificates below it break. */
void verify_path(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n,
		 struct tls_report *r);

/* True when the chain verifies (name ignored). Used by --strict during the handshake. */
unsigned verify_status(const struct verify_request *req, gnutls_x509_crt_t *crts, unsigned n);

#endif
