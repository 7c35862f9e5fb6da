#include "tlsscope/inspect.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/chain.h"
#include "tlsscope/creds_p12.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/verify.h"

/* Everything read so far: certificates (owned) and keys (owned). seen holds the SHA-256 of each
 * certificate kept, so that a certificate given twice is kept once without comparing it to
 * every other one. */
struct pool {
	gnutls_x509_crt_t *crts;
	size_t n_crts, cap_crts;
	gnutls_privkey_t *keys;
	size_t n_keys;
	unsigned char (*seen)[32]; /* open addressing; all zero: free slot */
	size_t seen_cap;	   /* a power of two, at least twice n_crts */
};

static uint64_t hash_bytes(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Inserts fp; false when it was there already. */
static bool seen_insert(struct pool *p, const unsigned char fp[32])
{
	static const unsigned char zero[32];

	if ((p->n_crts + 1) * 2 > p->seen_cap) {
		size_t cap = p->seen_cap ? p->seen_cap * 2 : 64;
		unsigned char(*t)[32] = xcalloc(cap, 32);
		for (size_t i = 0; i < p->seen_cap; i++) {
			if (memcmp(p->seen[i], zero, 32) == 0)
				continue;
			size_t j = hash_bytes(p->seen[i], 32) & (cap - 1);
			while (memcmp(t[j], zero, 32) != 0)
				j = (j + 1) & (cap - 1);
			memcpy(t[j], p->seen[i], 32);
		}
		free(p->seen);
		p->seen = t;
		p->seen_cap = cap;
	}
	size_t j = hash_bytes(fp, 32) & (p->seen_cap - 1);
	for (; memcmp(p->seen[j], zero, 32) != 0; j = (j + 1) & (p->seen_cap - 1))
		if (memcmp(p->seen[j], fp, 32) == 0)
			return false;
	memcpy(p->seen[j], fp, 32);
	return true;
}

/* Keeps each certificate once: a CA in a bundle and in a .p12 is one certificate. */
static void pool_add_crts(struct pool *p, gnutls_x509_crt_t *crts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char fp[32] = {0};
		size_t len = sizeof(fp);
		/* A certificate whose fingerprint cannot be computed is kept (all-zero would
		 * mark a free slot). */
		bool fresh =
			gnutls_x509_crt_get_fingerprint(crts[i], GNUTLS_DIG_SHA256, fp, &len) < 0 ||
			seen_insert(p, fp);
		if (!fresh) {
			gnutls_x509_crt_deinit(crts[i]);
			continue;
		}
		if (p->n_crts == p->cap_crts) {
			p->cap_crts = p->cap_crts ? p->cap_crts * 2 : 16;
			p->crts = xrealloc(p->crts, p->cap_crts * sizeof(*p->crts));
		}
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

/* One input file as read, for the reader of its kind. */
struct input {
	const char *path;
	const char *kind; /* creds_kind's word */
	const unsigned char *data;
	size_t len;
	bool pem;
};

struct readers_ctx {
	const struct inspect_options *o;
	struct inspect_result *r;
	struct pool *pool;
	struct tls_error *err;
};

static int read_certs(const struct input *in, const struct readers_ctx *x)
{
	gnutls_x509_crt_t *crts;
	int n = creds_parse_certs(in->data, in->len, in->path, &crts, x->err);

	if (n < 0)
		return -1;
	struct inspect_file *f = add_file(x->r, in->path, n > 1 ? "chain" : "certificate");
	f->detail = xasprintf("%d certificate%s", n, n > 1 ? "s" : "");
	pool_add_crts(x->pool, crts, (size_t)n);
	return 0;
}

static int read_key(const struct input *in, const struct readers_ctx *x)
{
	gnutls_privkey_t k;
	bool asked = false;
	bool encrypted = strcmp(in->kind, "encrypted-key") == 0;
	char *pw = encrypted ? password_for(x->o, in->path, &asked) : NULL;
	int rc = creds_load_key(in->path, pw ? pw : x->o->password, &k, x->err);

	free_password(pw);
	if (rc != 0)
		return rc;
	struct inspect_file *f = add_file(x->r, in->path, "key");
	add_key_entry(x->r, in->path, k);
	f->detail = xasprintf("%s%s %u-bit private key (contents not shown)",
			      encrypted ? "encrypted " : "", x->r->keys[x->r->n_keys - 1].algorithm,
			      x->r->keys[x->r->n_keys - 1].bits);
	pool_add_key(x->pool, k);
	return 0;
}

static int read_p12(const struct input *in, const struct readers_ctx *x)
{
	const struct inspect_options *o = x->o;
	gnutls_x509_crt_t *crts;
	gnutls_privkey_t k;
	bool asked = false;
	int n = creds_load_p12(in->path, o->password, &crts, &k, x->err);

	if (n < 0 && !o->password && o->ask_password) {
		char *pw = password_for(o, in->path, &asked);
		if (pw)
			n = creds_load_p12(in->path, pw, &crts, &k, x->err);
		free_password(pw);
	}
	if (n < 0)
		return -1;
	struct inspect_file *f = add_file(x->r, in->path, "pkcs12");
	f->detail = xasprintf("%d certificate%s and a private key", n, n > 1 ? "s" : "");
	add_key_entry(x->r, in->path, k);
	pool_add_crts(x->pool, crts, (size_t)n);
	pool_add_key(x->pool, k);
	return 0;
}

static int read_csr(const struct input *in, const struct readers_ctx *x)
{
	gnutls_datum_t d = {(unsigned char *)in->data, (unsigned)in->len};
	gnutls_x509_crq_t crq;
	gnutls_datum_t dn = {0};
	unsigned bits = 0;
	int rc = 0;

	gnutls_x509_crq_init(&crq);
	if (gnutls_x509_crq_import(crq, &d, in->pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER) <
	    0) {
		tls_error_set(x->err, "%s: not a readable certificate request", in->path);
		rc = -1;
	} else {
		int pk = gnutls_x509_crq_get_pk_algorithm(crq, &bits);
		gnutls_x509_crq_get_dn3(crq, &dn, 0);
		struct inspect_file *f = add_file(x->r, in->path, "csr");
		f->detail = xasprintf("request for %.*s, %s %u-bit key", (int)dn.size,
				      dn.data ? (char *)dn.data : "", chain_pk_name(pk), bits);
		gnutls_free(dn.data);
	}
	gnutls_x509_crq_deinit(crq);
	return rc;
}

static int read_crl(const struct input *in, const struct readers_ctx *x)
{
	gnutls_datum_t d = {(unsigned char *)in->data, (unsigned)in->len};
	gnutls_x509_crl_t crl;
	gnutls_datum_t dn = {0};
	int rc = 0;

	gnutls_x509_crl_init(&crl);
	if (gnutls_x509_crl_import(crl, &d, in->pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER) <
	    0) {
		tls_error_set(x->err, "%s: not a readable revocation list", in->path);
		rc = -1;
	} else {
		char next[32];
		gnutls_x509_crl_get_issuer_dn3(crl, &dn, 0);
		util_iso_time((long long)gnutls_x509_crl_get_next_update(crl), next, sizeof(next));
		struct inspect_file *f = add_file(x->r, in->path, "crl");
		f->detail = xasprintf("revocation list by %.*s: %d revoked, next update %s",
				      (int)dn.size, dn.data ? (char *)dn.data : "",
				      gnutls_x509_crl_get_crt_count(crl), next);
		gnutls_free(dn.data);
	}
	gnutls_x509_crl_deinit(crl);
	return rc;
}

/* The reader of each kind creds_kind names. */
static const struct {
	const char *kind;
	int (*read)(const struct input *in, const struct readers_ctx *x);
} readers[] = {
	{"certificate", read_certs}, {"key", read_key}, {"encrypted-key", read_key},
	{"pkcs12", read_p12},	     {"csr", read_csr}, {"crl", read_crl},
};

static int read_one(const char *path, const struct inspect_options *o, struct inspect_result *r,
		    struct pool *pool, struct tls_error *err)
{
	const struct readers_ctx x = {.o = o, .r = r, .pool = pool, .err = err};
	unsigned char *data;
	size_t len;

	if (util_read_file(path, TLS_MAX_INPUT_FILE, &data, &len, err) < 0)
		return -1;
	const struct input in = {.path = path,
				 .kind = creds_kind(data, len),
				 .data = data,
				 .len = len,
				 .pem = memmem(data, len, "-----BEGIN ", 11) != NULL};
	int rc = -1;
	size_t i = 0;

	while (i < sizeof(readers) / sizeof(readers[0]) && strcmp(readers[i].kind, in.kind) != 0)
		i++;
	if (i < sizeof(readers) / sizeof(readers[0]))
		rc = readers[i].read(&in, &x);
	else /* Nothing inspect can read: an input error, not an empty report that says OK. */
		tls_error_set(err,
			      "%s: not a certificate, private key, PKCS#12 file, certificate "
			      "request or CRL (%s)",
			      path,
			      len == 0 ? "the file is empty"
			      : in.pem ? "PEM data of an unknown kind"
				       : "neither PEM nor DER of any of those");
	gnutls_memset(data, 0, len);
	free(data);
	return rc;
}

/* Certificates by one of their raw DNs (subject or issuer, the DER bytes), so that issuers and
 * subjects are found by hashing instead of comparing every pair. Each distinct DN is a bucket
 * listing positions in ascending order. */
struct dn_bucket {
	unsigned char *dn; /* NULL: a free slot */
	size_t dn_len;
	size_t *pos;
	size_t n, cap;
	size_t skip; /* the positions before it are used up */
};

struct dn_index {
	struct dn_bucket *b;
	size_t cap; /* a power of two */
	size_t used;
};

static struct dn_bucket *dn_slot(struct dn_bucket *b, size_t cap, const unsigned char *dn,
				 size_t len)
{
	size_t j = hash_bytes(dn, len) & (cap - 1);

	while (b[j].dn && !(b[j].dn_len == len && memcmp(b[j].dn, dn, len) == 0))
		j = (j + 1) & (cap - 1);
	return &b[j];
}

static void dn_index_add(struct dn_index *x, const gnutls_datum_t *dn, size_t pos)
{
	if ((x->used + 1) * 2 > x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct dn_bucket *b = xcalloc(cap, sizeof(*b));
		for (size_t i = 0; i < x->cap; i++)
			if (x->b[i].dn)
				*dn_slot(b, cap, x->b[i].dn, x->b[i].dn_len) = x->b[i];
		free(x->b);
		x->b = b;
		x->cap = cap;
	}
	struct dn_bucket *s = dn_slot(x->b, x->cap, dn->data, dn->size);
	if (!s->dn) {
		s->dn = (unsigned char *)xmemdup0(dn->data, dn->size);
		s->dn_len = dn->size;
		x->used++;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 2;
		s->pos = xrealloc(s->pos, s->cap * sizeof(*s->pos));
	}
	s->pos[s->n++] = pos;
}

static void dn_index_free(struct dn_index *x)
{
	for (size_t i = 0; i < x->cap; i++) {
		free(x->b[i].dn);
		free(x->b[i].pos);
	}
	free(x->b);
}

/* The raw subject or issuer DN of crt ("" when it cannot be read); gnutls_free the data. */
static gnutls_datum_t raw_dn(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t d = {0};
	int rc = issuer ? gnutls_x509_crt_get_raw_issuer_dn(crt, &d)
			: gnutls_x509_crt_get_raw_dn(crt, &d);

	if (rc < 0 || !d.data)
		d = (gnutls_datum_t){.data = gnutls_calloc(1, 1), .size = 0};
	return d;
}

/* The first position in b, not used, for which ok(pos) holds; n when none. Used positions at
 * the front are skipped for good, so a bucket is walked about once in all. */
static size_t bucket_first(struct dn_bucket *b, const bool *used, size_t n,
			   bool (*ok)(size_t pos, void *arg), void *arg)
{
	if (!b)
		return n;
	while (b->skip < b->n && used[b->pos[b->skip]])
		b->skip++;
	for (size_t i = b->skip; i < b->n; i++)
		if (!used[b->pos[i]] && ok(b->pos[i], arg))
			return b->pos[i];
	return n;
}

struct order_state {
	gnutls_x509_crt_t *crts;
	size_t cur;
};

/* pos is a certificate that cur issued (not cur itself). */
static bool issued_by_cur(size_t pos, void *arg)
{
	struct order_state *s = arg;

	return pos != s->cur && gnutls_x509_crt_check_issuer(s->crts[pos], s->crts[s->cur]);
}

/* pos issued cur. */
static bool issuer_of_cur(size_t pos, void *arg)
{
	struct order_state *s = arg;

	return gnutls_x509_crt_check_issuer(s->crts[s->cur], s->crts[pos]);
}

/* Puts the certificates in issuer order where they link: a leaf (one that issued none of the
 * others left) first, then each issuer found among the rest; the others after. Issuers and
 * subjects are looked up by DN, so a bundle of thousands costs about as many DN hashes. */
static void order(struct pool *p)
{
	size_t n = p->n_crts;
	gnutls_x509_crt_t *sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	bool *used = xcalloc(n ? n : 1, sizeof(*used));
	struct dn_bucket **by_subject = xcalloc(n ? n : 1, sizeof(*by_subject));
	struct dn_bucket **by_issuer = xcalloc(n ? n : 1, sizeof(*by_issuer));
	struct dn_index subjects = {0}, issuers = {0};
	struct order_state st = {.crts = p->crts};
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t s = raw_dn(p->crts[i], false), is = raw_dn(p->crts[i], true);
		dn_index_add(&subjects, &s, i);
		dn_index_add(&issuers, &is, i);
		gnutls_free(s.data);
		gnutls_free(is.data);
	}
	/* The buckets a certificate's children and its issuers are in. */
	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t s = raw_dn(p->crts[i], false), is = raw_dn(p->crts[i], true);
		struct dn_bucket *c = dn_slot(issuers.b, issuers.cap, s.data, s.size);
		struct dn_bucket *u = dn_slot(subjects.b, subjects.cap, is.data, is.size);
		by_issuer[i] = c->dn ? c : NULL;
		by_subject[i] = u->dn ? u : NULL;
		gnutls_free(s.data);
		gnutls_free(is.data);
	}
	/* First the runs that start at a leaf; a root given before its leaf ("cat ca.crt
	 * server.crt") waits for it. Then what is left (cycles), in the order given. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t start = 0; start < n; start++) {
			if (used[start])
				continue;
			st.cur = start;
			if (pass == 0 &&
			    bucket_first(by_issuer[start], used, n, issued_by_cur, &st) < n)
				continue;
			for (size_t cur = start; cur < n;) {
				used[cur] = true;
				sorted[k++] = p->crts[cur];
				st.cur = cur;
				cur = bucket_first(by_subject[cur], used, n, issuer_of_cur, &st);
			}
		}
	}
	memcpy(p->crts, sorted, n * sizeof(*sorted));
	dn_index_free(&subjects);
	dn_index_free(&issuers);
	free(by_subject);
	free(by_issuer);
	free(sorted);
	free(used);
}

/* An issuer is looked for among this many certificates of the same subject DN at most, so that
 * thousands of certificates sharing one name cost no more than a bounded scan each. */
#define MAX_SAME_NAME 64

/* The issuer of crts[i] among the others: i itself for a self-signed one, n for none. */
static size_t issuer_among(const struct pool *p, struct dn_index *subjects, size_t i)
{
	gnutls_x509_crt_t c = p->crts[i];
	size_t n = p->n_crts, found = n;

	if (gnutls_x509_crt_check_issuer(c, c))
		return i;
	gnutls_datum_t is = raw_dn(c, true);
	struct dn_bucket *b = dn_slot(subjects->b, subjects->cap, is.data, is.size);
	for (size_t k = 0; b->dn && k < b->n && k < MAX_SAME_NAME && found == n; k++)
		if (b->pos[k] != i && gnutls_x509_crt_check_issuer(c, p->crts[b->pos[k]]))
			found = b->pos[k];
	gnutls_free(is.data);
	return found;
}

/* Each leaf's path to a root among the files. Every certificate's issuer is found once by
 * subject DN, and each path is walked once (the answer is kept per certificate), so thousands
 * of leaves under one root, or one chain thousands deep, cost a DN hash per certificate. */
static void judge_chains(const struct pool *p, struct inspect_result *out)
{
	size_t n = p->n_crts;
	struct dn_index subjects = {0};
	size_t *up = xcalloc(n, sizeof(*up)), *top = xcalloc(n, sizeof(*top));
	size_t *depth = xcalloc(n, sizeof(*depth)), *stack = xcalloc(n, sizeof(*stack));
	unsigned char *state = xcalloc(n, 1); /* 0 not seen, 1 on the walk, 2 done */
	bool *rooted = xcalloc(n, sizeof(*rooted)), *has_child = xcalloc(n, sizeof(*has_child));

	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t s = raw_dn(p->crts[i], false);
		dn_index_add(&subjects, &s, i);
		gnutls_free(s.data);
	}
	for (size_t i = 0; i < n; i++) {
		up[i] = issuer_among(p, &subjects, i);
		if (up[i] != i && up[i] < n)
			has_child[up[i]] = true;
	}
	for (size_t i = 0; i < n; i++) {
		size_t sp = 0, cur = i;
		while (cur < n && state[cur] == 0) {
			state[cur] = 1;
			stack[sp++] = cur;
			if (up[cur] == cur)
				break;
			cur = up[cur];
		}
		/* The walk stopped at a root (on the stack), a known certificate, no issuer, or a
		 * cycle (a certificate already on this walk): unwind, nearest the top first. */
		while (sp) {
			size_t c = stack[--sp], u = up[c];
			if (u == c) {
				rooted[c] = true, top[c] = c, depth[c] = 1;
			} else if (u < n && state[u] == 2) {
				rooted[c] = rooted[u], top[c] = top[u], depth[c] = depth[u] + 1;
			} else {
				rooted[c] = false, top[c] = c, depth[c] = 1;
			}
			state[c] = 2;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!has_child[i])
			out->n_chains++;
	out->chains = xcalloc(out->n_chains ? out->n_chains : 1, sizeof(*out->chains));
	out->chain_complete = out->n_chains > 0;
	for (size_t i = 0, k = 0; i < n; i++) {
		if (has_child[i])
			continue;
		out->chains[k++] = (struct inspect_chain){
			.leaf = i, .top = top[i], .length = depth[i], .complete = rooted[i]};
		out->chain_complete = out->chain_complete && rooted[i];
	}
	dn_index_free(&subjects);
	free(up);
	free(top);
	free(depth);
	free(stack);
	free(state);
	free(rooted);
	free(has_child);
}

/* The first certificate whose public key is k's, or -1. The key's identifier is computed once,
 * not once per certificate. */
static int find_key_owner(const struct pool *p, gnutls_privkey_t k)
{
	unsigned char want[64], have[64];
	size_t lw = sizeof(want);
	gnutls_pubkey_t pub;
	int found = -1;

	if (gnutls_pubkey_init(&pub) < 0)
		return -1;
	if (gnutls_pubkey_import_privkey(pub, k, 0, 0) == 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, want, &lw) == 0)
		for (size_t c = 0; c < p->n_crts && found < 0; c++) {
			size_t lh = sizeof(have);
			if (gnutls_x509_crt_get_key_id(p->crts[c], GNUTLS_KEYID_USE_SHA256, have,
						       &lh) == 0 &&
			    lh == lw && memcmp(have, want, lw) == 0)
				found = (int)c;
		}
	gnutls_pubkey_deinit(pub);
	return found;
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
	out->purpose = o->purpose;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_one(paths[i], o, out, &pool, err);
	if (rc == 0 && pool.n_crts) {
		order(&pool);
		r->chain = xcalloc(pool.n_crts, sizeof(*r->chain));
		r->n_chain = pool.n_crts;
		for (size_t i = 0; i < pool.n_crts; i++)
			chain_describe(pool.crts[i], (unsigned)i, &r->chain[i]);
		chain_link(pool.crts, (unsigned)pool.n_crts, r->chain);
		judge_chains(&pool, out);
		for (size_t k = 0; k < out->n_keys; k++)
			out->keys[k].matches_certificate = find_key_owner(&pool, pool.keys[k]);
		struct verify_request req;
		struct tls_creds *none = o->trust ? NULL : creds_new();
		verify_request_init(&req, o->trust ? o->trust : none, o->verify_name,
				    o->purpose == PURPOSE_CLIENT   ? GNUTLS_KP_TLS_WWW_CLIENT
				    : o->purpose == PURPOSE_SERVER ? GNUTLS_KP_TLS_WWW_SERVER
								   : NULL,
				    &r->policy);
		if (o->trust || o->verify_name) {
			verify_run(&req, pool.crts, (unsigned)pool.n_crts, &r->verification,
				   r->chain);
			if (!o->trust)
				r->verification.done = false; /* only the name was asked about */
		}
		verify_path(&req, pool.crts, (unsigned)pool.n_crts, r);
		creds_free(none);
		diagnose_inspect(r, o->purpose == PURPOSE_CLIENT ? SUBJ_CLIENT_CHAIN
								 : SUBJ_SERVER_CHAIN);
	} else if (rc == 0) {
		diagnose_inspect(r, SUBJ_SERVER_CHAIN);
	}
	chain_free(pool.crts, (unsigned)pool.n_crts);
	free(pool.seen);
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
	free(r->chains);
	report_free(&r->report);
	memset(r, 0, sizeof(*r));
}
