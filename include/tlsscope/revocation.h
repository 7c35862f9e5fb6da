/* Revocation that is really checked: the loaded CRLs (listed, expired, for which chain), the
 * stapled OCSP response (for this leaf, signed by its issuer, fresh), the leaf's must-staple
 * feature, and, on request, the OCSP responders named in the certificates' AIA. The facts go
 * into r->revocation; diagnose.c turns them into findings. */
#ifndef TLSSCOPE_REVOCATION_H
#define TLSSCOPE_REVOCATION_H

#include <gnutls/x509.h>

#include "tlsscope/creds.h"
#include "tlsscope/loop.h"
#include "tlsscope/report.h"

/* Keeps a copy of the stapled OCSP response (DER, len bytes; NULL/0: none) in r, for
 * revocation_check and for what-if rechecks. */
void revocation_keep_staple(struct tls_report *r, const unsigned char *der, size_t len);

/* Judges crts[0..n) (leaf first, as sent) against the CRLs of c (may be NULL) and r's staple,
 * whose issuer is looked up in trust when the chain lacks it (loading c's system store when
 * needed); fills r->revocation (keeping the states of an earlier --ocsp query when n is
 * unchanged). */
void revocation_check(const struct tls_creds *c, gnutls_x509_trust_list_t trust,
		      gnutls_x509_crt_t *crts, unsigned n, struct tls_report *r);

struct revocation_query;

/* --ocsp: asks the AIA OCSP responder of every certificate of r's chain but a self-signed top,
 * in a worker thread, over HTTP, until deadline_ms (util_now_ms scale). The issuer of the top
 * certificate is looked up in trust. done(arg) runs on l's thread once r->revocation's
 * ocsp_queried states are set. Returns NULL when nothing is to be asked (done is not called
 * then) — the states are already final. */
struct revocation_query *revocation_query_start(struct loop *l, struct tls_report *r,
						gnutls_x509_trust_list_t trust, double deadline_ms,
						void (*done)(void *arg), void *arg);

/* Forgets a running query: done is not called; the certificates it was asking about are
 * marked unreachable ("cancelled ...") in r, which must still be alive. Accepts NULL. */
void revocation_query_cancel(struct revocation_query *q);

/* --save-chain: writes to path, as PEM, the chain the server should send: its leaf, then each
 * issuer in turn from what it sent and the --intermediates of c (c may be NULL), without the
 * self-signed root. Returns 0, or -1 with err naming the file. */
int revocation_save_chain(const struct tls_report *r, const struct tls_creds *c, const char *path,
			  struct tls_error *err);

#endif
