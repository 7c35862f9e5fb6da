#include "tlsscope/inspect.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/chain.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/verify.h"

/* Everything read so far: certificates (owned) and keys (owned). */
struct pool {
	gnutls_x509_crt_t *crts;
	size_t n_crts;
	gnutls_privkey_t *keys;
	size_t n_keys;
};

/* Keeps each certificate once: a CA in a bundle and in a .p12 is one certificate. */
static void pool_add_crts(struct pool *p, gnutls_x509_crt_t *crts, size_t n)
{
	p->crts = xrealloc(p->crts, (p->n_crts + n) * sizeof(*crts));
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < p->n_crts && !seen; j++)
			seen = gnutls_x509_crt_equals(p->crts[j], crts[i]);
		if (seen)
			gnutls_x509_crt_deinit(crts[i]);
		else
			p->crts[p->n_crts++] = crts[i];
	}
	free(crts);
}

static void pool_add_key(struct pool *p, gnutls_privkey_t k)
{
	p->keys = xrealloc(p->keys, (p->n_keys + 1) * sizeof(*p->keys));
	p->keys[p->n_keys++] = k;
}

static struct inspect_file *add_file(struct inspect_result *r, const char *path, const char *type)
{
	r->files = xrealloc(r->files, (r->n_files + 1) * sizeof(*r->files));
	struct inspect_file *f = &r->files[r->n_files++];
	*f = (struct inspect_file){.path = xstrdup(path), .type = type};
	return f;
}

static void add_key_entry(struct inspect_result *r, const char *path, gnutls_privkey_t k)
{
	unsigned bits = 0;
	int pk = gnutls_privkey_get_pk_algorithm(k, &bits);

	r->keys = xrealloc(r->keys, (r->n_keys + 1) * sizeof(*r->keys));
	r->keys[r->n_keys++] = (struct inspect_key){.path = xstrdup(path),
						    .algorithm = chain_pk_name(pk),
						    .bits = bits,
						    .matches_certificate = -1};
}

/* A password for path: the one given, else one asked for, else none. */
static char *password_for(const struct inspect_options *o, const char *path, bool *asked)
{
	*asked = false;
	if (o->password)
		return xstrdup(o->password);
	if (o->ask_password) {
		*asked = true;
		return o->ask_password(path, o->ask_arg);
	}
	return NULL;
}

static void free_password(char *p)
{
	if (p) {
		gnutls_memset(p, 0, strlen(p));
		free(p);
	}
}

static int read_one(const char *path, const struct inspect_options *o, struct inspect_result *r,
		    struct pool *pool, struct tls_error *err)
{
	unsigned char *data;
	size_t len;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	const char *kind = creds_kind(data, len);
	gnutls_datum_t d = {data, (unsigned)len};
	bool pem = memmem(data, len, "-----BEGIN ", 11) != NULL;
	int rc = 0;

	if (strcmp(kind, "certificate") == 0) {
		gnutls_x509_crt_t *crts;
		int n = creds_parse_certs(data, len, path, &crts, err);
		if (n < 0) {
			rc = -1;
		} else {
			struct inspect_file *f = add_file(r, path, n > 1 ? "chain" : "certificate");
			f->detail = xasprintf("%d certificate%s", n, n > 1 ? "s" : "");
			pool_add_crts(pool, crts, (size_t)n);
		}
	} else if (strcmp(kind, "key") == 0 || strcmp(kind, "encrypted-key") == 0) {
		gnutls_privkey_t k;
		bool asked = false;
		char *pw =
			strcmp(kind, "encrypted-key") == 0 ? password_for(o, path, &asked) : NULL;
		rc = creds_load_key(path, pw ? pw : o->password, &k, err);
		free_password(pw);
		if (rc == 0) {
			struct inspect_file *f = add_file(r, path, "key");
			add_key_entry(r, path, k);
			f->detail = xasprintf(
				"%s%s %u-bit private key (contents not shown)",
				strcmp(kind, "encrypted-key") == 0 ? "encrypted " : "",
				r->keys[r->n_keys - 1].algorithm, r->keys[r->n_keys - 1].bits);
			pool_add_key(pool, k);
		}
	} else if (strcmp(kind, "pkcs12") == 0) {
		gnutls_x509_crt_t *crts;
		gnutls_privkey_t k;
		bool asked = false;
		int n = creds_load_p12(path, o->password, &crts, &k, err);
		if (n < 0 && !o->password && o->ask_password) {
			char *pw = password_for(o, path, &asked);
			if (pw)
				n = creds_load_p12(path, pw, &crts, &k, err);
			free_password(pw);
		}
		if (n < 0) {
			rc = -1;
		} else {
			struct inspect_file *f = add_file(r, path, "pkcs12");
			f->detail = xasprintf("%d certificate%s and a private key", n,
					      n > 1 ? "s" : "");
			add_key_entry(r, path, k);
			pool_add_crts(pool, crts, (size_t)n);
			pool_add_key(pool, k);
		}
	} else if (strcmp(kind, "csr") == 0) {
		gnutls_x509_crq_t crq;
		gnutls_datum_t dn = {0};
		unsigned bits = 0;
		gnutls_x509_crq_init(&crq);
		if (gnutls_x509_crq_import(crq, &d,
					   pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER) < 0) {
			tls_error_set(err, "%s: not a readable certificate request", path);
			rc = -1;
		} else {
			int pk = gnutls_x509_crq_get_pk_algorithm(crq, &bits);
			gnutls_x509_crq_get_dn3(crq, &dn, 0);
			struct inspect_file *f = add_file(r, path, "csr");
			f->detail =
				xasprintf("request for %.*s, %s %u-bit key", (int)dn.size,
					  dn.data ? (char *)dn.data : "", chain_pk_name(pk), bits);
			gnutls_free(dn.data);
		}
		gnutls_x509_crq_deinit(crq);
	} else if (strcmp(kind, "crl") == 0) {
		gnutls_x509_crl_t crl;
		gnutls_datum_t dn = {0};
		gnutls_x509_crl_init(&crl);
		if (gnutls_x509_crl_import(crl, &d,
					   pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER) < 0) {
			tls_error_set(err, "%s: not a readable revocation list", path);
			rc = -1;
		} else {
			char next[32];
			gnutls_x509_crl_get_issuer_dn3(crl, &dn, 0);
			util_iso_time((long long)gnutls_x509_crl_get_next_update(crl), next,
				      sizeof(next));
			struct inspect_file *f = add_file(r, path, "crl");
			f->detail = xasprintf("revocation list by %.*s: %d revoked, next update %s",
					      (int)dn.size, dn.data ? (char *)dn.data : "",
					      gnutls_x509_crl_get_crt_count(crl), next);
			gnutls_free(dn.data);
		}
		gnutls_x509_crl_deinit(crl);
	} else {
		struct inspect_file *f = add_file(r, path, "unknown");
		f->detail = xstrdup("not a certificate, key, PKCS#12, request or revocation list");
	}
	gnutls_memset(data, 0, len);
	free(data);
	return rc;
}

/* Puts the certificates in issuer order where they link: a leaf (one no other names as its
 * issuer) first, then each issuer found among the rest; the others after. */
static void order(struct pool *p)
{
	size_t n = p->n_crts;
	gnutls_x509_crt_t *sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	bool *used = xcalloc(n ? n : 1, sizeof(*used));
	size_t k = 0;

	for (size_t start = 0; start < n; start++) {
		bool is_issuer = false;
		for (size_t j = 0; j < n && !is_issuer; j++)
			is_issuer = j != start && !used[j] &&
				    gnutls_x509_crt_check_issuer(p->crts[j], p->crts[start]) &&
				    !gnutls_x509_crt_check_issuer(p->crts[start], p->crts[start]);
		if (used[start] || is_issuer)
			continue;
		size_t cur = start;
		for (;;) {
			used[cur] = true;
			sorted[k++] = p->crts[cur];
			size_t next = n;
			for (size_t j = 0; j < n && next == n; j++)
				if (!used[j] &&
				    gnutls_x509_crt_check_issuer(p->crts[cur], p->crts[j]))
					next = j;
			if (next == n)
				break;
			cur = next;
		}
	}
	for (size_t j = 0; j < n; j++)
		if (!used[j])
			sorted[k++] = p->crts[j];
	memcpy(p->crts, sorted, n * sizeof(*sorted));
	free(sorted);
	free(used);
}

int inspect_run(const char *const *paths, size_t n, const struct inspect_options *o,
		struct inspect_result *out, struct tls_error *err)
{
	struct pool pool = {0};
	struct tls_report *r = &out->report;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	report_init(r, TLS_MODE_CONNECT);
	r->policy.check_purpose = o->purpose != PURPOSE_NONE;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_one(paths[i], o, out, &pool, err);
	if (rc == 0 && pool.n_crts) {
		order(&pool);
		r->chain = xcalloc(pool.n_crts, sizeof(*r->chain));
		r->n_chain = pool.n_crts;
		for (size_t i = 0; i < pool.n_crts; i++)
			chain_describe(pool.crts[i], (unsigned)i, &r->chain[i]);
		chain_link(pool.crts, (unsigned)pool.n_crts, r->chain);
		size_t top = 0;
		while (top + 1 < r->n_chain && r->chain[top + 1].issues_previous)
			top++;
		out->chain_complete = top + 1 == r->n_chain && r->chain[top].self_signed;
		for (size_t k = 0; k < out->n_keys; k++)
			for (size_t c = 0; c < pool.n_crts; c++)
				if (out->keys[k].matches_certificate < 0 &&
				    creds_key_matches(pool.crts[c], pool.keys[k]))
					out->keys[k].matches_certificate = (int)c;
		if (o->trust || o->verify_name) {
			struct verify_request req;
			struct tls_creds *none = o->trust ? NULL : creds_new();
			verify_request_init(&req, o->trust ? o->trust : none, o->verify_name,
					    o->purpose == PURPOSE_CLIENT ? GNUTLS_KP_TLS_WWW_CLIENT
					    : o->purpose == PURPOSE_SERVER
						    ? GNUTLS_KP_TLS_WWW_SERVER
						    : NULL,
					    &r->policy);
			verify_run(&req, pool.crts, (unsigned)pool.n_crts, &r->verification,
				   r->chain);
			if (!o->trust)
				r->verification.done = false; /* only the name was asked about */
			creds_free(none);
		}
		diagnose_inspect(r, o->purpose == PURPOSE_CLIENT ? SUBJ_CLIENT_CHAIN
								 : SUBJ_SERVER_CHAIN);
	} else if (rc == 0) {
		diagnose_inspect(r, SUBJ_SERVER_CHAIN);
	}
	chain_free(pool.crts, (unsigned)pool.n_crts);
	for (size_t i = 0; i < pool.n_keys; i++)
		gnutls_privkey_deinit(pool.keys[i]);
	free(pool.keys);
	return rc;
}

void inspect_result_free(struct inspect_result *r)
{
	for (size_t i = 0; i < r->n_files; i++) {
		free(r->files[i].path);
		free(r->files[i].detail);
	}
	free(r->files);
	for (size_t i = 0; i < r->n_keys; i++)
		free(r->keys[i].path);
	free(r->keys);
	report_free(&r->report);
	memset(r, 0, sizeof(*r));
}
