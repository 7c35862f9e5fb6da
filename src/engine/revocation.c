#include "tlsscope/revocation.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <gnutls/ocsp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsscope/chain.h"
#include "tlsscope/fetch.h"
#include "tlsscope/util.h"
#include "tlsscope/worker.h"

/* TLS feature extension (RFC 7633) value of status_request: "must staple". */
#define TLS_FEATURE_STATUS_REQUEST 5

void revocation_keep_staple(struct tls_report *r, const unsigned char *der, size_t len)
{
	free(r->revocation.staple);
	r->revocation.staple = NULL;
	r->revocation.staple_len = 0;
	if (!der || !len)
		return;
	r->revocation.staple = xmalloc(len);
	memcpy(r->revocation.staple, der, len);
	r->revocation.staple_len = len;
}

static bool datum_eq(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
	return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
}

/* The CRL's issuer is the issuer of crt (by name, as RFC 5280 §6.3.3 matches them). */
static bool crl_covers(gnutls_x509_crl_t crl, gnutls_x509_crt_t crt)
{
	gnutls_datum_t a = {0}, b = {0};
	bool eq = gnutls_x509_crl_get_raw_issuer_dn(crl, &a) == 0 &&
		  gnutls_x509_crt_get_raw_issuer_dn(crt, &b) == 0 && datum_eq(&a, &b);

	gnutls_free(a.data);
	gnutls_free(b.data);
	return eq;
}

static void check_crls(const struct tls_creds *c, gnutls_x509_crt_t *crts, unsigned n,
		       struct tls_revocation_facts *f, long long now)
{
	report_revocation_crls_free(f);
	for (unsigned i = 0; i < n; i++)
		f->certs[i].crl = REV_NONE;
	if (!c || !c->n_crls)
		return;
	f->crls = xcalloc(c->n_crls, sizeof(*f->crls));
	f->n_crls = c->n_crls;
	for (unsigned k = 0; k < c->n_crls; k++) {
		gnutls_x509_crl_t crl = c->crl_list[k];
		struct tls_crl_fact *cf = &f->crls[k];
		gnutls_datum_t dn = {0};

		if (gnutls_x509_crl_get_issuer_dn3(crl, &dn, 0) == 0)
			cf->issuer = xstrdup((const char *)dn.data);
		else
			cf->issuer = xstrdup("(unreadable issuer)");
		gnutls_free(dn.data);
		time_t next = gnutls_x509_crl_get_next_update(crl);
		cf->next_update = next == (time_t)-1 ? -1 : (long long)next;
		cf->expired = cf->next_update >= 0 && cf->next_update < now;
		for (unsigned i = 0; i < n; i++) {
			if (!crl_covers(crl, crts[i]) ||
			    gnutls_x509_crt_check_issuer(crts[i], crts[i]))
				continue;
			cf->for_chain = true;
			enum tls_rev_state *st = &f->certs[i].crl;
			if (gnutls_x509_crt_check_revocation(crts[i], &crl, 1) == 1)
				*st = REV_REVOKED;
			else if (cf->expired && *st != REV_REVOKED)
				*st = REV_EXPIRED;
			else if (*st == REV_NONE)
				*st = REV_GOOD;
		}
	}
}

static bool has_must_staple(gnutls_x509_crt_t leaf)
{
	gnutls_x509_tlsfeatures_t feat;
	unsigned critical = 0, value = 0;
	bool found = false;

	if (gnutls_x509_tlsfeatures_init(&feat) < 0)
		return false;
	if (gnutls_x509_crt_get_tlsfeatures(leaf, feat, 0, &critical) == 0)
		for (unsigned i = 0; gnutls_x509_tlsfeatures_get(feat, i, &value) == 0; i++)
			found |= value == TLS_FEATURE_STATUS_REQUEST;
	gnutls_x509_tlsfeatures_deinit(feat);
	return found;
}

/* The issuer of crts[i]: the next certificate when it issued it, else an anchor of trust
 * (a copy). Returns NULL when neither; *owned says whether the caller deinits it. */
static gnutls_x509_crt_t issuer_of(gnutls_x509_crt_t *crts, unsigned n, unsigned i,
				   gnutls_x509_trust_list_t trust, bool *owned)
{
	gnutls_x509_crt_t iss = NULL;

	*owned = false;
	if (i + 1 < n && gnutls_x509_crt_check_issuer(crts[i], crts[i + 1]))
		return crts[i + 1];
	if (trust &&
	    gnutls_x509_trust_list_get_issuer(trust, crts[i], &iss, GNUTLS_TL_GET_COPY) == 0) {
		*owned = true;
		return iss;
	}
	return NULL;
}

/* Judges an OCSP response about cert (issued by issuer, NULL: unknown) the way a client
 * must (RFC 6960 §3.2): for this certificate, signed by the issuer or its delegated
 * responder, not past its nextUpdate. Returns the state; *why says why it is invalid. */
static enum tls_rev_state judge_response(const gnutls_datum_t *der, gnutls_x509_crt_t cert,
					 gnutls_x509_crt_t issuer, long long now, char **why,
					 long long times[4])
{
	gnutls_ocsp_resp_t resp;
	enum tls_rev_state st = REV_INVALID;
	unsigned verify = 0, cert_status = 0;
	time_t this_update, next_update, revoked_at;

	*why = NULL;
	times[0] = times[1] = times[2] = times[3] = -1;
	if (gnutls_ocsp_resp_init(&resp) < 0)
		return REV_INVALID;
	if (gnutls_ocsp_resp_import(resp, der) < 0) {
		*why = xasprintf("it is not a readable OCSP response");
		goto out;
	}
	int status = gnutls_ocsp_resp_get_status(resp);
	if (status != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		*why = xasprintf("the responder answered with error status %d (RFC 6960 §4.2.1)",
				 status);
		goto out;
	}
	times[2] = (long long)gnutls_ocsp_resp_get_produced(resp);
	if (gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL, &cert_status, &this_update,
					&next_update, &revoked_at, NULL) < 0) {
		*why = xasprintf("it holds no certificate status");
		goto out;
	}
	times[0] = (long long)this_update;
	times[1] = next_update == (time_t)-1 ? -1 : (long long)next_update;
	if (gnutls_ocsp_resp_check_crt(resp, 0, cert) < 0) {
		*why = xasprintf("it is about another certificate (its serial or issuer differs)");
		goto out;
	}
	if (!issuer) {
		*why = xasprintf("the certificate's issuer is unknown, so its signature cannot be "
				 "checked");
		goto out;
	}
	if (gnutls_ocsp_resp_verify_direct(resp, issuer, &verify, 0) < 0 || verify != 0) {
		*why = xasprintf(
			"its signature does not verify against the issuer (%s%s%s)",
			verify & GNUTLS_OCSP_VERIFY_SIGNER_NOT_FOUND ? "signer not found " : "",
			verify & GNUTLS_OCSP_VERIFY_SIGNATURE_FAILURE ? "bad signature " : "",
			verify & GNUTLS_OCSP_VERIFY_SIGNER_KEYUSAGE_ERROR
				? "responder lacks OCSPSigning"
				: "check failed");
		goto out;
	}
	if (times[1] >= 0 && times[1] < now) {
		char when[32];
		util_iso_time(times[1], when, sizeof(when));
		*why = xasprintf("it is past its nextUpdate (%s): stale", when);
		goto out;
	}
	if (cert_status == GNUTLS_OCSP_CERT_REVOKED) {
		st = REV_REVOKED;
		times[3] = (long long)revoked_at;
	} else {
		st = cert_status == GNUTLS_OCSP_CERT_GOOD ? REV_GOOD : REV_UNKNOWN;
	}
out:
	gnutls_ocsp_resp_deinit(resp);
	return st;
}

static void check_staple(const struct tls_creds *c, gnutls_x509_trust_list_t trust,
			 gnutls_x509_crt_t *crts, unsigned n, struct tls_revocation_facts *f,
			 long long now)
{
	long long times[4];
	bool owned;

	free(f->staple_error);
	f->staple_error = NULL;
	f->staple_this_update = f->staple_next_update = f->staple_produced = -1;
	f->staple_revoked_at = -1;
	f->certs[0].ocsp_stapled = REV_NONE;
	if (!f->staple)
		return;
	if (c && !(n > 1 && gnutls_x509_crt_check_issuer(crts[0], crts[1])))
		creds_need_system_trust(c);
	gnutls_x509_crt_t issuer = issuer_of(crts, n, 0, trust, &owned);
	gnutls_datum_t der = {f->staple, (unsigned)f->staple_len};
	f->certs[0].ocsp_stapled =
		judge_response(&der, crts[0], issuer, now, &f->staple_error, times);
	f->staple_this_update = times[0];
	f->staple_next_update = times[1];
	f->staple_produced = times[2];
	f->staple_revoked_at = times[3];
	if (owned)
		gnutls_x509_crt_deinit(issuer);
}

void revocation_check(const struct tls_creds *c, gnutls_x509_trust_list_t trust,
		      gnutls_x509_crt_t *crts, unsigned n, struct tls_report *r)
{
	struct tls_revocation_facts *f = &r->revocation;
	long long now = (long long)time(NULL);

	if (f->n_certs != n) {
		report_revocation_certs_free(f);
		f->certs = xcalloc(n ? n : 1, sizeof(*f->certs));
		f->n_certs = n;
	}
	if (!n)
		return;
	check_crls(c, crts, n, f, now);
	check_staple(c, trust, crts, n, f, now);
	f->must_staple = r->mode == TLS_MODE_CONNECT && has_must_staple(crts[0]);
}

/* ---- --ocsp: the responders named in AIA, asked from a worker thread ---- */

struct query_item {
	gnutls_datum_t cert, issuer; /* DER; issuer.data NULL: unknown */
	char *url;
	enum tls_rev_state state;
	char *error;
};

struct revocation_query {
	struct worker_job *job;
	atomic_bool stop; /* set by revocation_query_cancel: the thread ends early */
	struct tls_report *r;
	struct query_item *items;
	size_t n;
	double deadline_ms;
	void (*done)(void *arg);
	void *arg;
};

static char *ocsp_url(gnutls_x509_crt_t crt)
{
	for (unsigned seq = 0;; seq++) {
		gnutls_datum_t d = {0};
		int rc = gnutls_x509_crt_get_authority_info_access(crt, seq, GNUTLS_IA_OCSP_URI, &d,
								   NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return NULL;
		if (rc < 0)
			continue;
		char *url = xasprintf("%.*s", (int)d.size, d.data);
		gnutls_free(d.data);
		if (strncmp(url, "http://", 7) == 0)
			return url;
		free(url);
	}
}

/* The request carries a random nonce (RFC 6960 §4.4.1); an answer that echoes another one
 * is not an answer to it. An answer without a nonce is taken: responders that pre-sign their
 * answers (most public CAs) omit it, and RFC 8954 §2.1 lets them. */
static bool nonce_matches(gnutls_ocsp_req_t req, const gnutls_datum_t *der)
{
	gnutls_ocsp_resp_t resp;
	gnutls_datum_t sent = {0}, got = {0};
	bool ok = true;

	if (gnutls_ocsp_resp_init(&resp) < 0)
		return true;
	if (gnutls_ocsp_resp_import(resp, der) == 0 &&
	    gnutls_ocsp_resp_get_nonce(resp, NULL, &got) == 0 &&
	    gnutls_ocsp_req_get_nonce(req, NULL, &sent) == 0)
		ok = datum_eq(&sent, &got);
	gnutls_free(sent.data);
	gnutls_free(got.data);
	gnutls_ocsp_resp_deinit(resp);
	return ok;
}

static void query_one(struct query_item *it, double deadline_ms, const atomic_bool *stop)
{
	gnutls_x509_crt_t cert = NULL, issuer = NULL;
	gnutls_ocsp_req_t req = NULL;
	gnutls_datum_t reqder = {0};
	unsigned char *body = NULL;
	size_t len = 0;
	int status = 0;
	long long times[4];

	it->state = REV_UNREACHABLE;
	if (gnutls_x509_crt_init(&cert) < 0 || gnutls_x509_crt_init(&issuer) < 0 ||
	    gnutls_x509_crt_import(cert, &it->cert, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_import(issuer, &it->issuer, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_ocsp_req_init(&req) < 0 ||
	    gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1, issuer, cert) < 0 ||
	    gnutls_ocsp_req_randomize_nonce(req) < 0 || gnutls_ocsp_req_export(req, &reqder) < 0) {
		it->error = xasprintf("cannot build the OCSP request");
		goto out;
	}
	if (fetch_http(it->url, "application/ocsp-request", reqder.data, reqder.size, deadline_ms,
		       stop, &body, &len, &status, &it->error) < 0)
		goto out;
	if (status != 200) {
		it->error = xasprintf("the responder answered HTTP %d", status);
		goto out;
	}
	gnutls_datum_t d = {body, (unsigned)len};
	if (!nonce_matches(req, &d)) {
		it->error = xasprintf("its nonce is not the one of the request: an answer to "
				      "another request, replayed (RFC 8954)");
		goto out;
	}
	char *why = NULL;
	enum tls_rev_state st =
		judge_response(&d, cert, issuer, (long long)time(NULL), &why, times);
	if (st == REV_INVALID) {
		it->error = why ? why : xasprintf("the answer is not a usable OCSP response");
		goto out;
	}
	free(why);
	it->state = st;
out:
	free(body);
	gnutls_free(reqder.data);
	if (req)
		gnutls_ocsp_req_deinit(req);
	if (cert)
		gnutls_x509_crt_deinit(cert);
	if (issuer)
		gnutls_x509_crt_deinit(issuer);
}

static void query_work(void *arg)
{
	struct revocation_query *q = arg;

	for (size_t i = 0; i < q->n && !atomic_load(&q->stop); i++)
		if (q->items[i].url && q->items[i].issuer.data)
			query_one(&q->items[i], q->deadline_ms, &q->stop);
}

static void query_free(void *arg)
{
	struct revocation_query *q = arg;

	for (size_t i = 0; i < q->n; i++) {
		free(q->items[i].cert.data);
		gnutls_free(q->items[i].issuer.data);
		free(q->items[i].url);
		free(q->items[i].error);
	}
	free(q->items);
	free(q);
}

static void query_done(void *arg)
{
	struct revocation_query *q = arg;
	struct tls_revocation_facts *f = &q->r->revocation;

	for (size_t i = 0; i < q->n && i < f->n_certs; i++) {
		struct query_item *it = &q->items[i];
		if (!it->url)
			continue;
		f->certs[i].ocsp_queried = it->issuer.data ? it->state : REV_UNREACHABLE;
		free(f->certs[i].ocsp_url);
		f->certs[i].ocsp_url = xstrdup(it->url);
		free(f->certs[i].ocsp_error);
		f->certs[i].ocsp_error =
			it->error ? xstrdup(it->error)
			: !it->issuer.data
				? xstrdup("its issuer is unknown, so no request can be made")
				: NULL;
	}
	void (*done)(void *) = q->done;
	void *done_arg = q->arg;
	query_free(q);
	done(done_arg);
}

struct revocation_query *revocation_query_start(struct loop *l, struct tls_report *r,
						gnutls_x509_trust_list_t trust, double deadline_ms,
						void (*done)(void *arg), void *arg)
{
	gnutls_datum_t *der;
	gnutls_x509_crt_t *crts;
	size_t n = r->n_chain;
	bool any = false;

	if (!n || r->revocation.n_certs != n)
		return NULL;
	der = xcalloc(n, sizeof(*der));
	for (size_t i = 0; i < n; i++)
		der[i] = (gnutls_datum_t){r->chain[i].der, (unsigned)r->chain[i].der_len};
	int rc = chain_import(der, (unsigned)n, &crts);
	free(der);
	if (rc < 0)
		return NULL;
	struct revocation_query *q = xcalloc(1, sizeof(*q));
	*q = (struct revocation_query){.r = r,
				       .items = xcalloc(n, sizeof(*q->items)),
				       .n = n,
				       .deadline_ms = deadline_ms,
				       .done = done,
				       .arg = arg};
	for (size_t i = 0; i < n; i++) {
		struct query_item *it = &q->items[i];
		if (r->chain[i].self_signed)
			continue;
		it->url = ocsp_url(crts[i]);
		if (!it->url)
			continue;
		any = true;
		it->cert.data = xmalloc(r->chain[i].der_len);
		memcpy(it->cert.data, r->chain[i].der, r->chain[i].der_len);
		it->cert.size = (unsigned)r->chain[i].der_len;
		bool owned;
		gnutls_x509_crt_t iss = issuer_of(crts, (unsigned)n, (unsigned)i, trust, &owned);
		if (iss && gnutls_x509_crt_export2(iss, GNUTLS_X509_FMT_DER, &it->issuer) < 0)
			it->issuer.data = NULL;
		if (owned)
			gnutls_x509_crt_deinit(iss);
	}
	chain_free(crts, (unsigned)n);
	if (any)
		q->job = worker_start(l, query_work, query_done, query_free, q);
	if (!q->job) {
		query_free(q);
		return NULL;
	}
	return q;
}

void revocation_query_cancel(struct revocation_query *q)
{
	if (!q)
		return;
	/* Asked and not answered: the report says so (the thread only reads the URLs). */
	struct tls_revocation_facts *f = &q->r->revocation;
	for (size_t i = 0; i < q->n && i < f->n_certs; i++) {
		if (!q->items[i].url)
			continue;
		f->certs[i].ocsp_queried = REV_UNREACHABLE;
		free(f->certs[i].ocsp_url);
		f->certs[i].ocsp_url = xstrdup(q->items[i].url);
		free(f->certs[i].ocsp_error);
		f->certs[i].ocsp_error = xstrdup("cancelled before the responder answered");
	}
	atomic_store(&q->stop, true); /* before worker_cancel, which may let release free q */
	worker_cancel(q->job);
}

/* ---- --save-chain: the chain the server should send ---- */

/* The next link above cur: a certificate of the sent chain, of the user's intermediates or of
 * those fetched (--fetch-intermediates) that issued it and is not a self-signed root (clients
 * hold those). */
static gnutls_x509_crt_t next_link(gnutls_x509_crt_t cur, gnutls_x509_crt_t *sent, unsigned n,
				   const struct tls_creds *c, gnutls_x509_crt_t *fetched,
				   unsigned n_fetched)
{
	for (unsigned pass = 0; pass < 3; pass++) {
		gnutls_x509_crt_t *set = pass == 2 ? fetched
					 : pass	   ? (c ? c->intermediates : NULL)
						   : sent;
		unsigned k = pass == 2 ? n_fetched : pass ? (c ? c->n_intermediates : 0) : n;
		for (unsigned i = 0; i < k; i++)
			if (set[i] != cur && !gnutls_x509_crt_equals(set[i], cur) &&
			    gnutls_x509_crt_check_issuer(cur, set[i]) &&
			    !gnutls_x509_crt_check_issuer(set[i], set[i]))
				return set[i];
	}
	return NULL;
}

int revocation_save_chain(const struct tls_report *r, const struct tls_creds *c, const char *path,
			  struct tls_error *err)
{
	gnutls_datum_t *der;
	gnutls_x509_crt_t *crts, *fetched = NULL;
	unsigned n_fetched = 0;
	FILE *f = NULL;
	int rc = -1;

	if (!r->n_chain) {
		tls_error_set(err, "%s: not written: the server sent no certificate", path);
		return -1;
	}
	der = xcalloc(r->n_chain, sizeof(*der));
	for (size_t i = 0; i < r->n_chain; i++)
		der[i] = (gnutls_datum_t){r->chain[i].der, (unsigned)r->chain[i].der_len};
	int n = (int)r->n_chain;
	int irc = chain_import(der, (unsigned)r->n_chain, &crts);
	free(der);
	if (irc < 0) {
		tls_error_set(err, "%s: not written: the chain is unreadable", path);
		return -1;
	}
	n_fetched = chain_import_fetched(r, &fetched);
	f = fopen(path, "w");
	if (!f) {
		tls_error_set(err, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	gnutls_x509_crt_t cur = crts[0];
	/* Bounded: a chain longer than what was sent plus the intermediates would be a loop. */
	for (unsigned steps = 0;
	     cur && steps <= (unsigned)n + (c ? c->n_intermediates : 0) + n_fetched; steps++) {
		gnutls_datum_t pem = {0};
		if (gnutls_x509_crt_export2(cur, GNUTLS_X509_FMT_PEM, &pem) < 0) {
			tls_error_set(err, "%s: cannot encode a certificate", path);
			goto out;
		}
		fwrite(pem.data, 1, pem.size, f);
		gnutls_free(pem.data);
		cur = next_link(cur, crts, (unsigned)n, c, fetched, n_fetched);
	}
	rc = 0;
out:
	if (f && fclose(f) != 0 && rc == 0) {
		tls_error_set(err, "%s: cannot write: %s", path, strerror(errno));
		rc = -1;
	}
	chain_free(crts, (unsigned)n);
	if (fetched)
		chain_free(fetched, n_fetched);
	return rc;
}
