/* Recordings of event streams, and their replay (sinks.h). A recording is JSON Lines: a header
 * with the capture time, then one line per event; the final report travels whole, every field
 * of struct tls_report, described once in the tables below (one row per field), so that a
 * replayed report is the report the sinks saw. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sinks.h"

#define RECORDING_VERSION 1

/* ---- the shape of a report, one row per field ---- */

enum fkind {
	K_STR,	  /* char *, owned */
	K_STATIC, /* const char *, static in the engine: interned on replay */
	K_BOOL,
	K_INT, /* int, and the enums (int-sized, checked below) */
	K_UINT,
	K_LL,
	K_DBL,
	K_SIZE,
	K_LIST,	 /* struct strlist */
	K_CHARS, /* char[aux], NUL-terminated */
	K_BYTES, /* unsigned char * with its size_t length at aux */
	K_FIXED, /* unsigned char[aux] with its size_t length at len */
	K_OBJ,	 /* a struct inside: sub */
	K_ARR,	 /* a pointer to len elements of size bytes, the count a size_t at aux */
	K_PTR,	 /* a pointer to one struct of size bytes, or NULL */
};

struct fields;
struct field {
	const char *name;
	enum fkind kind;
	size_t off, aux, size;
	const struct fields *sub;
};
struct fields {
	const struct field *f;
	size_t n;
};

_Static_assert(sizeof(enum tls_dir) == sizeof(int) && sizeof(enum tls_rev_state) == sizeof(int),
	       "enums are read and written as int");

#define F(T, m, k)                                                                                 \
	{                                                                                          \
#m, k, offsetof(T, m), 0, 0, NULL                                                  \
	}
#define FSUB(T, m, k, sub, sz)                                                                     \
	{                                                                                          \
#m, k, offsetof(T, m), 0, sz, sub                                                  \
	}
#define FARR(T, m, cnt, sub, E)                                                                    \
	{                                                                                          \
#m, K_ARR, offsetof(T, m), offsetof(T, cnt), sizeof(E), sub                        \
	}
#define FBYTES(T, m, len)                                                                          \
	{                                                                                          \
#m, K_BYTES, offsetof(T, m), offsetof(T, len), 0, NULL                             \
	}
#define TABLE(name, rows) static const struct fields name = {rows, sizeof(rows) / sizeof(rows[0])}

static const struct field step_rows[] = {
	F(struct tls_step, t_ms, K_DBL),	   F(struct tls_step, dir, K_INT),
	F(struct tls_step, type, K_INT),	   F(struct tls_step, probe, K_BOOL),
	F(struct tls_step, failure_point, K_BOOL), F(struct tls_step, detail, K_STR),
};
TABLE(step_fields, step_rows);

static const struct field alert_rows[] = {
	F(struct tls_alert, present, K_BOOL),
	F(struct tls_alert, level, K_INT),
	F(struct tls_alert, code, K_INT),
};
TABLE(alert_fields, alert_rows);

#define C(m, k) F(struct tls_cert_info, m, k)
static const struct field cert_rows[] = {
	C(index, K_UINT),
	C(subject, K_STR),
	C(issuer, K_STR),
	C(serial_hex, K_STR),
	C(serial_dec, K_STR),
	C(not_before, K_LL),
	C(not_after, K_LL),
	C(san, K_LIST),
	C(key_algorithm, K_STATIC),
	C(key_bits, K_UINT),
	C(key_curve, K_STR),
	C(signature_algorithm, K_STR),
	C(sign_algo, K_INT),
	C(sign_secure, K_BOOL),
	{"sha256", K_CHARS, offsetof(struct tls_cert_info, sha256), 65, 0, NULL},
	C(key_usage, K_LIST),
	C(eku, K_LIST),
	C(has_key_usage, K_BOOL),
	C(has_eku, K_BOOL),
	C(has_basic_constraints, K_BOOL),
	C(is_ca, K_BOOL),
	C(path_len, K_INT),
	C(self_signed, K_BOOL),
	C(version, K_INT),
	C(has_aia_ca_issuers, K_BOOL),
	C(issues_previous, K_BOOL),
	C(verify_status, K_UINT),
	C(status, K_LIST),
	FBYTES(struct tls_cert_info, der, der_len),
	C(name_constraints, K_LIST),
	C(unknown_critical, K_LIST),
	C(nc_violated_by, K_INT),
	C(path_len_exceeded, K_BOOL),
	C(is_anchor, K_BOOL),
};
#undef C
TABLE(cert_fields, cert_rows);

static const struct field probe_rows[] = {
	F(struct tls_probe, offered, K_STR),	    F(struct tls_probe, broad_versions, K_BOOL),
	F(struct tls_probe, broad_ciphers, K_BOOL), F(struct tls_probe, accepted, K_BOOL),
	F(struct tls_probe, version, K_STR),	    F(struct tls_probe, cipher_suite, K_STR),
	F(struct tls_probe, alert, K_INT),	    F(struct tls_probe, sni, K_STR),
	F(struct tls_probe, name_ok, K_BOOL),	    F(struct tls_probe, other_cert, K_BOOL),
	F(struct tls_probe, served, K_STR),
};
TABLE(probe_fields, probe_rows);

static const struct field finding_rows[] = {
	F(struct tls_finding, id, K_STATIC),   F(struct tls_finding, severity, K_INT),
	F(struct tls_finding, subject, K_INT), F(struct tls_finding, cert_index, K_INT),
	F(struct tls_finding, title, K_STR),   F(struct tls_finding, detail, K_STR),
	F(struct tls_finding, fix, K_STR),
};
TABLE(finding_fields, finding_rows);

static const struct field rev_cert_rows[] = {
	F(struct tls_cert_revocation, crl, K_INT),
	F(struct tls_cert_revocation, ocsp_stapled, K_INT),
	F(struct tls_cert_revocation, ocsp_queried, K_INT),
	F(struct tls_cert_revocation, ocsp_url, K_STR),
	F(struct tls_cert_revocation, ocsp_error, K_STR),
};
TABLE(rev_cert_fields, rev_cert_rows);

static const struct field crl_rows[] = {
	F(struct tls_crl_fact, issuer, K_STR),
	F(struct tls_crl_fact, next_update, K_LL),
	F(struct tls_crl_fact, expired, K_BOOL),
	F(struct tls_crl_fact, for_chain, K_BOOL),
};
TABLE(crl_fields, crl_rows);

static const struct field fetched_rows[] = {
	FSUB(struct tls_fetched_cert, info, K_OBJ, &cert_fields, 0),
	F(struct tls_fetched_cert, url, K_STR),
	F(struct tls_fetched_cert, format, K_STATIC),
};
TABLE(fetched_fields, fetched_rows);

static const struct fields report_fields;

#define R(m, k)		     F(struct tls_report, m, k)
#define RSUB(m, k, sub, sz)  FSUB(struct tls_report, m, k, sub, sz)
#define RARR(m, cnt, sub, E) FARR(struct tls_report, m, cnt, sub, E)
static const struct field report_rows[] = {
	R(mode, K_INT),
	R(target.host, K_STR),
	R(target.port, K_UINT),
	R(target.address, K_STR),
	R(target.sni, K_STR),
	R(target.verify_name, K_STR),
	R(timing.resolve_ms, K_DBL),
	R(timing.connect_ms, K_DBL),
	R(timing.handshake_ms, K_DBL),
	R(timing.total_ms, K_DBL),
	R(handshake.status, K_INT),
	R(handshake.error, K_STR),
	R(handshake.gnutls_error, K_INT),
	R(handshake.sys_errno, K_INT),
	R(handshake.gai_error, K_INT),
	RSUB(handshake.alert_received, K_OBJ, &alert_fields, 0),
	RSUB(handshake.alert_sent, K_OBJ, &alert_fields, 0),
	R(handshake.post_handshake_alert, K_BOOL),
	R(handshake.peer_closed, K_BOOL),
	R(handshake.cancelled, K_BOOL),
	RARR(handshake.steps, handshake.n_steps, &step_fields, struct tls_step),
	{"handshake.first_bytes", K_FIXED, offsetof(struct tls_report, handshake.first_bytes), 48,
	 offsetof(struct tls_report, handshake.n_first_bytes), NULL},
	R(negotiated.present, K_BOOL),
	R(negotiated.version, K_STR),
	R(negotiated.cipher_suite, K_STR),
	R(negotiated.group, K_STR),
	R(negotiated.signature, K_STR),
	R(negotiated.alpn, K_STR),
	R(negotiated.resumed, K_BOOL),
	R(negotiated.extended_master_secret, K_BOOL),
	R(negotiated.ocsp_stapled, K_BOOL),
	R(offered_versions, K_LIST),
	RARR(probes, n_probes, &probe_fields, struct tls_probe),
	RARR(chain, n_chain, &cert_fields, struct tls_cert_info),
	RSUB(anchor, K_PTR, &cert_fields, sizeof(struct tls_cert_info)),
	R(intermediate_found, K_BOOL),
	R(policy.check_hostname, K_BOOL),
	R(policy.allow_sha1, K_BOOL),
	R(policy.min_rsa_bits, K_UINT),
	R(policy.min_ec_bits, K_UINT),
	R(policy.check_purpose, K_BOOL),
	R(keylog_path, K_STR),
	R(keylog_errno, K_INT),
	RSUB(resumption, K_PTR, &report_fields, sizeof(struct tls_report)),
	R(closed_without_answer, K_BOOL),
	R(closed_after_ms, K_DBL),
	R(listen.peer_address, K_STR),
	R(listen.client_cert, K_INT),
	R(listen.n_serial_rules, K_SIZE),
	R(listen.serial_rules, K_LIST),
	R(listen.serial_matched, K_STR),
	R(listen.serial_form, K_STATIC),
	R(listen.rejected, K_BOOL),
	R(listen.client_max_version, K_STATIC),
	R(verification.done, K_BOOL),
	R(verification.trusted, K_BOOL),
	R(verification.gnutls_status, K_UINT),
	R(verification.reasons, K_LIST),
	R(verification.trust_source, K_STATIC),
	R(verification.hostname.checked, K_BOOL),
	R(verification.hostname.name, K_STR),
	R(verification.hostname.match, K_BOOL),
	R(verification.hostname.matched_by, K_STATIC),
	R(client_auth.requested, K_BOOL),
	R(client_auth.acceptable_cas, K_LIST),
	R(client_auth.sent, K_BOOL),
	R(client_auth.loaded, K_BOOL),
	R(client_auth.loaded_subject, K_STR),
	R(client_auth.loaded_issuer, K_STR),
	R(client_auth.issuer_not_acceptable, K_BOOL),
	RSUB(client_auth.certificate, K_PTR, &cert_fields, sizeof(struct tls_cert_info)),
	R(client_auth.accepted, K_INT),
	RARR(client_auth.chain, client_auth.n_chain, &cert_fields, struct tls_cert_info),
	R(client_auth.issuer_unlisted, K_BOOL),
	R(http.present, K_BOOL),
	R(http.request_path, K_STR),
	R(http.status_line, K_STR),
	R(http.status_code, K_INT),
	R(http.headers, K_LIST),
	R(http.error, K_STR),
	R(http.body_head, K_STR),
	R(starttls.protocol, K_STATIC),
	R(starttls.outcome, K_INT),
	R(starttls.answer, K_STR),
	R(application.present, K_BOOL),
	R(application.protocol, K_STATIC),
	R(application.answer, K_STR),
	R(application.error, K_STR),
	R(application.refused, K_BOOL),
	R(application.names_certificate, K_BOOL),
	RARR(revocation.certs, revocation.n_certs, &rev_cert_fields, struct tls_cert_revocation),
	FBYTES(struct tls_report, revocation.staple, revocation.staple_len),
	R(revocation.staple_this_update, K_LL),
	R(revocation.staple_next_update, K_LL),
	R(revocation.staple_produced, K_LL),
	R(revocation.staple_revoked_at, K_LL),
	R(revocation.staple_error, K_STR),
	R(revocation.must_staple, K_BOOL),
	RARR(revocation.crls, revocation.n_crls, &crl_fields, struct tls_crl_fact),
	R(aia.attempted, K_BOOL),
	RARR(aia.certs, aia.n_certs, &fetched_fields, struct tls_fetched_cert),
	R(aia.error, K_STR),
	RARR(findings, n_findings, &finding_fields, struct tls_finding),
	R(verdict_ok, K_BOOL),
};
#undef R
#undef RSUB
#undef RARR
static const struct fields report_fields = {report_rows,
					    sizeof(report_rows) / sizeof(report_rows[0])};

/* ---- writing ---- */

static json_t *jhex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = 0;
	json_t *j = json_string(s);
	free(s);
	return j;
}

/* A string as it is; bytes that are not UTF-8 (from the network) as {"hex": "..."}. */
static json_t *jtext(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	return j ? j : json_pack("{s:o}", "hex", jhex((const unsigned char *)s, strlen(s)));
}

static json_t *obj_write(const void *base, const struct fields *t);

static json_t *list_write(const struct strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, jtext(l->v[i]));
	return a;
}

static json_t *arr_write(const struct field *f, const char *p, const char *base)
{
	const char *v = *(char *const *)p;
	size_t n = *(const size_t *)(base + f->aux);
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, obj_write(v + i * f->size, f->sub));
	return a;
}

static json_t *field_write(const char *base, const struct field *f)
{
	const char *p = base + f->off;

	switch (f->kind) {
	case K_STR:
	case K_STATIC:
		return jtext(*(char *const *)p);
	case K_BOOL:
		return json_boolean(*(const bool *)p);
	case K_INT:
		return json_integer(*(const int *)p);
	case K_UINT:
		return json_integer(*(const unsigned *)p);
	case K_LL:
		return json_integer(*(const long long *)p);
	case K_DBL:
		return json_real(*(const double *)p);
	case K_SIZE:
		return json_integer((json_int_t) * (const size_t *)p);
	case K_LIST:
		return list_write((const struct strlist *)p);
	case K_CHARS:
		return jtext(p);
	case K_BYTES: {
		const unsigned char *b = *(unsigned char *const *)p;
		return b ? jhex(b, *(const size_t *)(base + f->aux)) : json_null();
	}
	case K_FIXED:
		return jhex((const unsigned char *)p, *(const size_t *)(base + f->size));
	case K_OBJ:
		return obj_write(p, f->sub);
	case K_ARR:
		return arr_write(f, p, base);
	case K_PTR: {
		const void *v = *(const void *const *)p;
		return v ? obj_write(v, f->sub) : json_null();
	}
	}
	return json_null();
}

static json_t *obj_write(const void *base, const struct fields *t)
{
	json_t *o = json_object();

	for (size_t i = 0; i < t->n; i++)
		json_object_set_new(o, t->f[i].name, field_write(base, &t->f[i]));
	return o;
}

/* ---- the recording sink ---- */

static const char *const event_names[] = {
	[EV_RESOLVED] = "resolved",   [EV_CONNECTED] = "connected", [EV_STEP] = "step",
	[EV_HANDSHAKE] = "handshake", [EV_VERIFIED] = "verified",   [EV_HTTP] = "http",
	[EV_DONE] = "done",
};
#define N_EVENTS (sizeof(event_names) / sizeof(event_names[0]))

static void put_line(FILE *f, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	if (s)
		fprintf(f, "%s\n", s);
	free(s);
	json_decref(o);
}

/* The number of the connection whose report r is (a new one for a report not seen yet); the
 * slot is freed at its EV_DONE. */
static unsigned conn_id(struct record_sink *s, const struct tls_report *r, bool done)
{
	size_t free_slot = RECORD_MAX_ACTIVE;
	for (size_t i = 0; i < RECORD_MAX_ACTIVE; i++) {
		if (s->active[i].r == r) {
			unsigned id = s->active[i].id;
			if (done)
				s->active[i].r = NULL;
			return id;
		}
		if (!s->active[i].r && free_slot == RECORD_MAX_ACTIVE)
			free_slot = i;
	}
	unsigned id = ++s->next_id;
	if (free_slot < RECORD_MAX_ACTIVE && !done)
		s->active[free_slot].r = r, s->active[free_slot].id = id;
	return id;
}

static void record_event(void *ctx, const struct tls_event *ev)
{
	struct record_sink *s = ctx;

	if ((size_t)ev->type < N_EVENTS) {
		json_t *o = json_pack("{s:s, s:I, s:f}", "event", event_names[ev->type], "conn",
				      (json_int_t)conn_id(s, ev->report, ev->type == EV_DONE),
				      "t_ms", ev->t_ms);
		if (ev->type == EV_STEP && ev->step)
			json_object_set_new(o, "step", obj_write(ev->step, &step_fields));
		if (ev->type == EV_DONE) {
			json_object_set_new(o, "wall", json_integer((json_int_t)time(NULL)));
			json_object_set_new(o, "report", obj_write(ev->report, &report_fields));
		}
		put_line(s->f, o);
		fflush(s->f);
	}
	if (s->next && s->next->fn)
		s->next->fn(s->next->ctx, ev);
}

void record_sink_init(struct record_sink *s, FILE *f, const struct tls_sink *next)
{
	char when[32];
	long long now = (long long)time(NULL);

	*s = (struct record_sink){.sink = {.fn = record_event, .ctx = s}, .f = f, .next = next};
	util_iso_time(now, when, sizeof(when));
	put_line(f,
		 json_pack("{s:s, s:i, s:I, s:s}", "recording", "tlsscope", "version",
			   RECORDING_VERSION, "captured", (json_int_t)now, "captured_utc", when));
}

/* ---- reading ---- */

/* The engine's static strings (finding ids, algorithm names) come back as copies that the
 * replay owns and frees after the report. */
struct replay {
	struct strlist statics;
};

static int unhex(const char *s, unsigned char **out, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2)
		return -1;
	*n = len / 2;
	*out = xmalloc(*n + 1);
	for (size_t i = 0; i < *n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(*out);
			return -1;
		}
		(*out)[i] = (unsigned char)v;
	}
	(*out)[*n] = 0;
	return 0;
}

/* A string written by jtext: 0 with *out owned by the caller (NULL for null), or -1. */
static int text_read(const json_t *j, char **out)
{
	size_t n;

	*out = NULL;
	if (json_is_null(j))
		return 0;
	if (json_is_string(j)) {
		*out = xstrdup(json_string_value(j));
		return 0;
	}
	const json_t *h = json_object_get(j, "hex");
	return json_is_string(h) ? unhex(json_string_value(h), (unsigned char **)out, &n) : -1;
}

static int obj_read(const json_t *o, char *base, const struct fields *t, struct replay *rp);

static int list_read(const json_t *a, struct strlist *l)
{
	size_t i;
	const json_t *v;
	char *s;

	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v)
	{
		if (text_read(v, &s) < 0 || !s)
			return -1;
		strlist_take(l, s);
	}
	return 0;
}

static int arr_read(const json_t *a, const struct field *f, char *p, char *base, struct replay *rp)
{
	size_t n = json_array_size(a);
	char *v = n ? xcalloc(n, f->size) : NULL;

	if (!json_is_array(a))
		return -1;
	*(char **)p = v;
	*(size_t *)(base + f->aux) = n;
	for (size_t i = 0; i < n; i++)
		if (obj_read(json_array_get(a, i), v + i * f->size, f->sub, rp) < 0)
			return -1;
	return 0;
}

static int bytes_read(const json_t *j, unsigned char **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (json_is_null(j))
		return 0;
	return json_is_string(j) ? unhex(json_string_value(j), out, n) : -1;
}

static int ptr_read(const json_t *j, const struct field *f, char *p, struct replay *rp)
{
	if (json_is_null(j))
		return 0;
	*(char **)p = xcalloc(1, f->size);
	return obj_read(j, *(char **)p, f->sub, rp);
}

static int chars_read(const json_t *j, const struct field *f, char *p)
{
	const char *s = json_string_value(j);

	if (!s || strlen(s) >= f->aux)
		return -1;
	strcpy(p, s);
	return 0;
}

static int fixed_read(const json_t *j, const struct field *f, char *p, char *base)
{
	unsigned char *b;
	size_t n;

	if (bytes_read(j, &b, &n) < 0 || n > f->aux) {
		free(b);
		return -1;
	}
	if (n)
		memcpy(p, b, n);
	*(size_t *)(base + f->size) = n;
	free(b);
	return 0;
}

static int static_read(const json_t *j, char *p, struct replay *rp)
{
	char *s;

	if (text_read(j, &s) < 0)
		return -1;
	if (s)
		strlist_take(&rp->statics, s);
	*(const char **)p = s;
	return 0;
}

static int field_read(const json_t *j, char *base, const struct field *f, struct replay *rp)
{
	char *p = base + f->off;
	bool num = json_is_integer(j);

	switch (f->kind) {
	case K_STR:
		return text_read(j, (char **)p);
	case K_STATIC:
		return static_read(j, p, rp);
	case K_BOOL:
		*(bool *)p = json_is_true(j);
		return json_is_boolean(j) ? 0 : -1;
	case K_INT:
		*(int *)p = (int)json_integer_value(j);
		return num ? 0 : -1;
	case K_UINT:
		*(unsigned *)p = (unsigned)json_integer_value(j);
		return num ? 0 : -1;
	case K_LL:
		*(long long *)p = (long long)json_integer_value(j);
		return num ? 0 : -1;
	case K_DBL:
		*(double *)p = json_number_value(j);
		return json_is_number(j) ? 0 : -1;
	case K_SIZE:
		*(size_t *)p = (size_t)json_integer_value(j);
		return num ? 0 : -1;
	case K_LIST:
		return list_read(j, (struct strlist *)p);
	case K_CHARS:
		return chars_read(j, f, p);
	case K_BYTES:
		return bytes_read(j, (unsigned char **)p, (size_t *)(base + f->aux));
	case K_FIXED:
		return fixed_read(j, f, p, base);
	case K_OBJ:
		return obj_read(j, p, f->sub, rp);
	case K_ARR:
		return arr_read(j, f, p, base, rp);
	case K_PTR:
		return ptr_read(j, f, p, rp);
	}
	return -1;
}

/* Fields the recording lacks keep their zero value (an older recording). */
static int obj_read(const json_t *o, char *base, const struct fields *t, struct replay *rp)
{
	if (!json_is_object(o))
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const json_t *j = json_object_get(o, t->f[i].name);
		if (j && field_read(j, base, &t->f[i], rp) < 0)
			return -1;
	}
	return 0;
}

/* ---- replay ---- */

struct replay_run {
	const struct tls_sink *sink;
	long long *clock;
	struct {
		unsigned id;
		struct tls_report *partial; /* the steps so far */
	} conns[RECORD_MAX_ACTIVE];
	int reports;
};

static struct tls_report *partial_get(struct replay_run *run, unsigned id, bool drop)
{
	size_t free_slot = RECORD_MAX_ACTIVE;

	for (size_t i = 0; i < RECORD_MAX_ACTIVE; i++) {
		if (run->conns[i].partial && run->conns[i].id == id) {
			struct tls_report *r = run->conns[i].partial;
			if (!drop)
				return r;
			report_free(r);
			free(r);
			run->conns[i].partial = NULL;
			return NULL;
		}
		if (!run->conns[i].partial && free_slot == RECORD_MAX_ACTIVE)
			free_slot = i;
	}
	if (drop || free_slot == RECORD_MAX_ACTIVE)
		return NULL;
	struct tls_report *r = xmalloc(sizeof(*r));
	report_init(r, TLS_MODE_CONNECT);
	run->conns[free_slot].id = id;
	run->conns[free_slot].partial = r;
	return r;
}

static void emit(const struct replay_run *run, enum tls_event_type type, double t_ms,
		 const struct tls_step *step, const struct tls_report *r)
{
	struct tls_event ev = {.type = type, .t_ms = t_ms, .step = step, .report = r};
	if (run->sink->fn)
		run->sink->fn(run->sink->ctx, &ev);
}

/* EV_DONE: the whole report, rendered against the wall-clock time it ended. */
static int replay_done(struct replay_run *run, const json_t *o, double t_ms)
{
	struct replay rp = {{0}};
	struct tls_report r;
	int rc;

	report_init(&r, TLS_MODE_CONNECT);
	rc = obj_read(json_object_get(o, "report"), (char *)&r, &report_fields, &rp);
	if (rc == 0) {
		if (run->clock)
			*run->clock = (long long)json_integer_value(json_object_get(o, "wall"));
		emit(run, EV_DONE, t_ms, NULL, &r);
		run->reports++;
	}
	report_free(&r);
	strlist_free(&rp.statics);
	return rc;
}

static int replay_step(struct replay_run *run, const json_t *o, struct tls_report *partial,
		       double t_ms)
{
	struct replay rp = {{0}};
	struct tls_step st = {0};
	int rc = obj_read(json_object_get(o, "step"), (char *)&st, &step_fields, &rp);

	if (rc == 0 && partial) {
		struct tls_step *s = report_add_step(partial, st.t_ms, st.dir, st.type, st.detail);
		s->probe = st.probe;
		s->failure_point = st.failure_point;
		emit(run, EV_STEP, t_ms, s, partial);
	}
	free(st.detail);
	strlist_free(&rp.statics);
	return rc;
}

static int replay_line(struct replay_run *run, const json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "event"));
	unsigned id = (unsigned)json_integer_value(json_object_get(o, "conn"));
	double t_ms = json_number_value(json_object_get(o, "t_ms"));
	size_t type = 0;

	while (type < N_EVENTS && !(name && strcmp(name, event_names[type]) == 0))
		type++;
	if (type == N_EVENTS)
		return -1;
	if (type == EV_DONE) {
		int rc = replay_done(run, o, t_ms);
		partial_get(run, id, true);
		return rc;
	}
	struct tls_report *partial = partial_get(run, id, false);
	if (type == EV_STEP)
		return replay_step(run, o, partial, t_ms);
	if (partial)
		emit(run, (enum tls_event_type)type, t_ms, NULL, partial);
	return 0;
}

int record_replay(FILE *f, const struct tls_sink *sink, long long *clock, struct tls_error *err)
{
	struct replay_run run = {.sink = sink, .clock = clock};
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	while (rc == 0 && getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *o = json_loads(line, 0, &je);
		lineno++;
		if (lineno == 1)
			rc = o && json_integer_value(json_object_get(o, "version")) ==
						     RECORDING_VERSION
				     ? 0
				     : -1;
		else
			rc = o ? replay_line(&run, o) : -1;
		json_decref(o);
		if (rc < 0)
			tls_error_set(err, "line %u: %s", lineno,
				      lineno == 1 ? "not a tlsscope recording (version 1)"
						  : "not an event of a recording");
	}
	free(line);
	for (size_t i = 0; i < RECORD_MAX_ACTIVE; i++)
		if (run.conns[i].partial) {
			report_free(run.conns[i].partial);
			free(run.conns[i].partial);
		}
	if (rc == 0 && lineno == 0) {
		tls_error_set(err, "an empty recording");
		rc = -1;
	}
	return rc < 0 ? -1 : run.reports;
}
