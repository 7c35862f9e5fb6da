#include "tlsscope/aia.h"

#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/chain.h"
#include "tlsscope/fetch.h"
#include "tlsscope/util.h"
#include "tlsscope/worker.h"

/* Hops above the sent chain: real chains have at most two intermediates; a loop of AIA
 * pointers must end. */
#define AIA_MAX_HOPS  4
#define AIA_MAX_CERTS 16

struct hop {
	gnutls_datum_t der; /* gnutls-allocated */
	char *url;
	const char *format;
};

struct aia_fetch {
	struct worker_job *job;
	atomic_bool stop; /* set by aia_fetch_cancel: the thread ends its fetch early */
	struct tls_report *r;
	const struct verify_request *req;
	gnutls_datum_t top; /* the sent chain's top, DER (a copy) */
	double deadline_ms;
	struct hop hops[AIA_MAX_HOPS];
	size_t n;
	char *error;
	void (*done)(void *arg);
	void *arg;
};

void aia_facts_free(struct tls_aia_fetch *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_certs; i++) {
		cert_info_free(&a->certs[i].info);
		free(a->certs[i].url);
	}
	free(a->certs);
	free(a->error);
	memset(a, 0, sizeof(*a));
}

static char *ca_issuers_url(gnutls_x509_crt_t crt)
{
	for (unsigned seq = 0;; seq++) {
		gnutls_datum_t d = {0};
		int rc = gnutls_x509_crt_get_authority_info_access(
			crt, seq, GNUTLS_IA_CAISSUERS_URI, &d, NULL);
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

static int import_pkcs7(const gnutls_datum_t *body, gnutls_x509_crt_fmt_t fmt,
			gnutls_x509_crt_t *out, unsigned *n)
{
	gnutls_pkcs7_t p7;
	int rc = -1;

	*n = 0;
	if (gnutls_pkcs7_init(&p7) < 0)
		return -1;
	if (gnutls_pkcs7_import(p7, body, fmt) < 0)
		goto out;
	int count = gnutls_pkcs7_get_crt_count(p7);
	for (int i = 0; i < count && *n < AIA_MAX_CERTS; i++) {
		gnutls_datum_t d = {0};
		if (gnutls_pkcs7_get_crt_raw2(p7, (unsigned)i, &d) < 0)
			continue;
		if (gnutls_x509_crt_init(&out[*n]) == 0 &&
		    gnutls_x509_crt_import(out[*n], &d, GNUTLS_X509_FMT_DER) == 0)
			(*n)++;
		else if (out[*n])
			gnutls_x509_crt_deinit(out[*n]);
		gnutls_free(d.data);
	}
	rc = *n ? 0 : -1;
out:
	gnutls_pkcs7_deinit(p7);
	return rc;
}

/* What a caIssuers URL answered: DER, PEM or PKCS#7 (DER or PEM). Returns the format, or
 * NULL when it is none of them. */
static const char *parse_certs(const unsigned char *body, size_t len, gnutls_x509_crt_t *out,
			       unsigned *n)
{
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)body, (unsigned)len};
	bool pem = memmem(body, len, "-----BEGIN ", 11) != NULL;

	*n = 0;
	if (pem && memmem(body, len, "-----BEGIN PKCS7", 16))
		return import_pkcs7(&d, GNUTLS_X509_FMT_PEM, out, n) == 0 ? "pkcs7" : NULL;
	if (pem) {
		unsigned max = AIA_MAX_CERTS;
		if (gnutls_x509_crt_list_import(out, &max, &d, GNUTLS_X509_FMT_PEM, 0) > 0) {
			*n = max;
			return "pem";
		}
		return NULL;
	}
	if (gnutls_x509_crt_init(&out[0]) < 0)
		return NULL;
	if (gnutls_x509_crt_import(out[0], &d, GNUTLS_X509_FMT_DER) == 0) {
		*n = 1;
		return "der";
	}
	gnutls_x509_crt_deinit(out[0]);
	return import_pkcs7(&d, GNUTLS_X509_FMT_DER, out, n) == 0 ? "pkcs7" : NULL;
}

/* cand issued cur: by name and by signature. */
static bool issued(gnutls_x509_crt_t cur, gnutls_x509_crt_t cand)
{
	unsigned st = 0;
	unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
			 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
			 GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1;

	if (!gnutls_x509_crt_check_issuer(cur, cand))
		return false;
	if (gnutls_x509_crt_verify(cur, &cand, 1, flags, &st) < 0)
		return false;
	return !(st & (GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_FOUND));
}

static char *subject_of(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = {0};
	char *s = gnutls_x509_crt_get_dn3(crt, &d, 0) == 0 ? xstrdup((const char *)d.data)
							   : xstrdup("(unreadable subject)");
	gnutls_free(d.data);
	return s;
}

/* One hop: the issuer of cur from its caIssuers URL. Returns it (caller deinits), or NULL
 * with f->error set, or NULL without error when cur names no URL. */
static gnutls_x509_crt_t fetch_issuer(struct aia_fetch *f, gnutls_x509_crt_t cur, char **url,
				      const char **format)
{
	gnutls_x509_crt_t got[AIA_MAX_CERTS] = {0}, pick = NULL;
	unsigned char *body = NULL;
	unsigned n = 0;
	size_t len = 0;
	int status = 0;
	char *err = NULL;

	*url = ca_issuers_url(cur);
	if (!*url)
		return NULL;
	if (fetch_http(*url, NULL, NULL, 0, f->deadline_ms, &f->stop, &body, &len, &status, &err) <
	    0) {
		f->error = xasprintf("%s: %s", *url, err);
		goto out;
	}
	if (status != 200) {
		f->error = xasprintf("%s: the server answered HTTP %d", *url, status);
		goto out;
	}
	*format = parse_certs(body, len, got, &n);
	if (!*format) {
		f->error = xasprintf("%s: the answer (%zu bytes) is no certificate: neither DER, "
				     "PEM nor PKCS#7",
				     *url, len);
		goto out;
	}
	for (unsigned i = 0; i < n && !pick; i++)
		if (issued(cur, got[i])) {
			pick = got[i];
			got[i] = NULL;
		}
	if (!pick) {
		char *s = subject_of(cur);
		f->error = xasprintf("%s: no certificate there issued \"%s\"", *url, s);
		free(s);
	}
out:
	for (unsigned i = 0; i < n; i++)
		if (got[i])
			gnutls_x509_crt_deinit(got[i]);
	free(body);
	free(err);
	return pick;
}

static void fetch_work(void *arg)
{
	struct aia_fetch *f = arg;
	gnutls_x509_crt_t cur = NULL;

	if (gnutls_x509_crt_init(&cur) < 0 ||
	    gnutls_x509_crt_import(cur, &f->top, GNUTLS_X509_FMT_DER) < 0) {
		f->error = xasprintf("the sent chain's top certificate is unreadable");
		goto out;
	}
	for (size_t hop = 0; hop < AIA_MAX_HOPS && !f->error; hop++) {
		char *url = NULL;
		const char *format = NULL;
		gnutls_x509_crt_t next = fetch_issuer(f, cur, &url, &format);
		if (!next) {
			free(url);
			break;
		}
		/* A root found this way is not trusted for being found: clients hold their own. */
		if (gnutls_x509_crt_check_issuer(next, next)) {
			gnutls_x509_crt_deinit(next);
			free(url);
			break;
		}
		if (gnutls_x509_crt_export2(next, GNUTLS_X509_FMT_DER, &f->hops[f->n].der) < 0) {
			gnutls_x509_crt_deinit(next);
			free(url);
			break;
		}
		f->hops[f->n].url = url;
		f->hops[f->n++].format = format;
		gnutls_x509_crt_deinit(cur);
		cur = next;
	}
out:
	if (cur)
		gnutls_x509_crt_deinit(cur);
}

static void fetch_free(void *arg)
{
	struct aia_fetch *f = arg;

	for (size_t i = 0; i < f->n; i++) {
		gnutls_free(f->hops[i].der.data);
		free(f->hops[i].url);
	}
	free(f->top.data);
	free(f->error);
	free(f);
}

/* The fetched certificates complete the chain: verify again with them. */
static void reverify(const struct verify_request *req, struct tls_report *r)
{
	gnutls_datum_t *der = xcalloc(r->n_chain, sizeof(*der));
	gnutls_x509_crt_t *crts;

	for (size_t i = 0; i < r->n_chain; i++)
		der[i] = (gnutls_datum_t){r->chain[i].der, (unsigned)r->chain[i].der_len};
	int rc = chain_import(der, (unsigned)r->n_chain, &crts);
	free(der);
	if (rc < 0)
		return;
	strlist_free(&r->verification.reasons);
	free(r->verification.hostname.name);
	memset(&r->verification, 0, sizeof(r->verification));
	verify_report(req, crts, (unsigned)r->n_chain, r);
	chain_free(crts, (unsigned)r->n_chain);
}

static void fetch_done(void *arg)
{
	struct aia_fetch *f = arg;
	struct tls_aia_fetch *a = &f->r->aia;

	a->certs = xcalloc(f->n ? f->n : 1, sizeof(*a->certs));
	for (size_t i = 0; i < f->n; i++) {
		gnutls_x509_crt_t *crt;
		if (chain_import(&f->hops[i].der, 1, &crt) < 0)
			break;
		struct tls_fetched_cert *fc = &a->certs[a->n_certs++];
		chain_describe(crt[0], (unsigned)(f->r->n_chain + i), &fc->info);
		fc->url = f->hops[i].url;
		fc->format = f->hops[i].format;
		f->hops[i].url = NULL;
		chain_free(crt, 1);
	}
	a->error = f->error;
	f->error = NULL;
	if (a->n_certs)
		reverify(f->req, f->r);
	void (*done)(void *) = f->done;
	void *done_arg = f->arg;
	fetch_free(f);
	done(done_arg);
}

struct aia_fetch *aia_fetch_start(struct loop *l, struct tls_report *r,
				  const struct verify_request *req, double deadline_ms,
				  void (*done)(void *arg), void *arg)
{
	size_t top = 0;

	if (!r->n_chain || !r->verification.done || r->verification.trusted ||
	    !(r->verification.gnutls_status & GNUTLS_CERT_SIGNER_NOT_FOUND))
		return NULL;
	while (top + 1 < r->n_chain && r->chain[top + 1].issues_previous)
		top++;
	if (r->chain[top].self_signed || !r->chain[top].has_aia_ca_issuers)
		return NULL;
	struct aia_fetch *f = xcalloc(1, sizeof(*f));
	*f = (struct aia_fetch){
		.r = r, .req = req, .deadline_ms = deadline_ms, .done = done, .arg = arg};
	f->top.data = xmalloc(r->chain[top].der_len);
	memcpy(f->top.data, r->chain[top].der, r->chain[top].der_len);
	f->top.size = (unsigned)r->chain[top].der_len;
	r->aia.attempted = true;
	f->job = worker_start(l, fetch_work, fetch_done, fetch_free, f);
	if (!f->job) {
		r->aia.error = xstrdup("no thread could be started for the fetch");
		fetch_free(f);
		return NULL;
	}
	return f;
}

void aia_fetch_cancel(struct aia_fetch *f)
{
	if (!f)
		return;
	atomic_store(&f->stop, true); /* before worker_cancel, which may let release free f */
	worker_cancel(f->job);
}

unsigned aia_fetched_crts(const struct tls_report *r, gnutls_x509_crt_t **out)
{
	size_t n = r->aia.n_certs;

	*out = NULL;
	if (!n)
		return 0;
	gnutls_datum_t *der = xcalloc(n, sizeof(*der));
	for (size_t i = 0; i < n; i++)
		der[i] = (gnutls_datum_t){r->aia.certs[i].info.der,
					  (unsigned)r->aia.certs[i].info.der_len};
	int rc = chain_import(der, (unsigned)n, out);
	free(der);
	if (rc < 0) {
		*out = NULL;
		return 0;
	}
	return (unsigned)n;
}

struct req_extra {
	gnutls_x509_crt_t *fetched, *all;
	unsigned n;
};

void aia_req_extend(struct verify_request *req, const struct tls_report *r, void **extra)
{
	struct req_extra *e;

	*extra = NULL;
	if (!r->aia.n_certs)
		return;
	e = xcalloc(1, sizeof(*e));
	e->n = aia_fetched_crts(r, &e->fetched);
	e->all = xcalloc(req->n_intermediates + e->n + 1, sizeof(*e->all));
	for (unsigned i = 0; i < req->n_intermediates; i++)
		e->all[i] = req->intermediates[i];
	for (unsigned i = 0; i < e->n; i++)
		e->all[req->n_intermediates + i] = e->fetched[i];
	req->intermediates = e->all;
	req->n_intermediates += e->n;
	*extra = e;
}

void aia_req_free(void *extra)
{
	struct req_extra *e = extra;

	if (!e)
		return;
	if (e->fetched)
		chain_free(e->fetched, e->n);
	free(e->all);
	free(e);
}
