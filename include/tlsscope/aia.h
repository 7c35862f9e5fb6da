/* --fetch-intermediates: completes a chain the server sent incomplete by following the
 * Authority Information Access caIssuers URL of its top certificate (RFC 5280 §4.2.2.1: HTTP,
 * a DER certificate or a "certs-only" CMS/PKCS#7 bundle; PEM is common in practice), hop by
 * hop, as Chrome does and most clients do not. The fetched certificates go into r->aia;
 * verify_report uses them as untrusted intermediates. */
#ifndef TLSSCOPE_AIA_H
#define TLSSCOPE_AIA_H

#include <gnutls/x509.h>

#include "tlsscope/loop.h"
#include "tlsscope/report.h"
#include "tlsscope/verify.h"

struct aia_fetch;

/* Starts the fetch when r's chain is incomplete (not trusted for want of an issuer, its top
 * not self-signed, with a caIssuers URL), in a worker thread, until deadline_ms (util_now_ms
 * scale). done(arg) runs on l's thread once r->aia is filled. Returns NULL when nothing is to
 * be fetched (done is not called then). With certificates fetched, r is verified again under
 * req (which must outlive the fetch). */
struct aia_fetch *aia_fetch_start(struct loop *l, struct tls_report *r,
				  const struct verify_request *req, double deadline_ms,
				  void (*done)(void *arg), void *arg);

/* Forgets a running fetch: done is not called, r is not touched. Accepts NULL. */
void aia_fetch_cancel(struct aia_fetch *f);

#endif
