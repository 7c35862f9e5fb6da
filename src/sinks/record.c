/* Recordings of event streams (sinks.h): a recording is JSON Lines, a header with the capture
 * time, then one line per event; the final report travels whole, every field of struct
 * tls_report, described once in the tables below (one row per field), so that a replayed
 * report (replay.c) is the report the sinks saw. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "sinks.h"

/* ---- the shape of a report, one row per field ---- */

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
const struct fields record_step_fields = {step_rows, sizeof(step_rows) / sizeof(step_rows[0])};

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
	RARR(handshake.steps, handshake.n_steps, &record_step_fields, struct tls_step),
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
	RSUB(resumption, K_PTR, &record_report_fields, sizeof(struct tls_report)),
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
	R(client_auth.requested_sigalgs, K_LIST),
	R(client_auth.requested_key_types, K_LIST),
	R(client_auth.key_type_not_accepted, K_BOOL),
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
	R(proxy.url, K_STR),
	R(proxy.kind, K_STATIC),
	R(proxy.address, K_STR),
	R(proxy.outcome, K_INT),
	R(proxy.answer, K_STR),
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
const struct fields record_report_fields = {report_rows,
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

const char *const record_event_names[] = {
	[EV_RESOLVED] = "resolved",   [EV_CONNECTED] = "connected", [EV_STEP] = "step",
	[EV_HANDSHAKE] = "handshake", [EV_VERIFIED] = "verified",   [EV_HTTP] = "http",
	[EV_DONE] = "done",
};
_Static_assert(sizeof(record_event_names) / sizeof(record_event_names[0]) == RECORD_N_EVENTS,
	       "a name for every event");

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

	if ((size_t)ev->type < RECORD_N_EVENTS) {
		json_t *o = json_pack(
			"{s:s, s:I, s:f}", "event", record_event_names[ev->type], "conn",
			(json_int_t)conn_id(s, ev->report, ev->type == EV_DONE), "t_ms", ev->t_ms);
		if (ev->type == EV_STEP && ev->step)
			json_object_set_new(o, "step", obj_write(ev->step, &record_step_fields));
		if (ev->type == EV_DONE) {
			json_object_set_new(o, "wall", json_integer((json_int_t)time(NULL)));
			json_object_set_new(o, "report",
					    obj_write(ev->report, &record_report_fields));
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
