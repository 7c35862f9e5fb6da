#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "sinks.h"
#include "tlsscope/names.h"
#include "tlsscope/textsafe.h"

/* ---- the report's parts ---- */

static void jms(struct jw *w, const char *key, double ms, double scale)
{
	if (ms < 0)
		jw_null(w, key);
	else
		jw_real(w, key, round(ms * scale) / scale);
}

static void jlist(struct jw *w, const char *key, const struct strlist *l)
{
	jw_arr(w, key);
	for (size_t i = 0; i < l->n; i++)
		jw_str(w, NULL, l->v[i]);
	jw_end_arr(w);
}

static void jtime(struct jw *w, const char *key, long long t)
{
	char buf[32];

	if (t < 0) {
		jw_null(w, key);
		return;
	}
	util_iso_time(t, buf, sizeof(buf));
	jw_str(w, key, buf);
}

static void jalert(struct jw *w, const char *key, const struct tls_alert *a)
{
	if (!a->present) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_str(w, "level", names_alert_level(a->level));
	jw_int(w, "code", a->code);
	jw_str(w, "name", names_alert(a->code));
	jw_end_obj(w);
}

/* A certificate's fields; the caller opens and closes the object (and may add fields). */
static void jcert_fields(struct jw *w, const struct tls_cert_info *ci)
{
	jw_int(w, "index", ci->index);
	jw_str(w, "subject", ci->subject);
	jw_str(w, "issuer", ci->issuer);
	jw_str(w, "serial_hex", ci->serial_hex);
	jw_str(w, "serial_dec", ci->serial_dec);
	jtime(w, "not_before", ci->not_before);
	jtime(w, "not_after", ci->not_after);
	jlist(w, "san", &ci->san);
	jw_obj(w, "key");
	jw_str(w, "algorithm", ci->key_algorithm ? ci->key_algorithm : "unknown");
	jw_int(w, "bits", (int)ci->key_bits);
	if (ci->key_curve)
		jw_str(w, "curve", ci->key_curve);
	jw_end_obj(w);
	jw_str(w, "signature_algorithm", ci->signature_algorithm);
	jw_str(w, "sha256", ci->sha256);
	jlist(w, "key_usage", &ci->key_usage);
	jlist(w, "eku", &ci->eku);
	jw_bool(w, "is_ca", ci->is_ca);
	jw_bool(w, "self_signed", ci->self_signed);
	jw_int(w, "version", ci->version);
	jlist(w, "status", &ci->status);
}

static void jcert(struct jw *w, const char *key, const struct tls_cert_info *ci)
{
	jw_obj(w, key);
	jcert_fields(w, ci);
	jw_end_obj(w);
}

static void jsteps(struct jw *w, const struct tls_report *r)
{
	jw_arr(w, "steps");
	for (size_t i = 0; i < r->handshake.n_steps; i++) {
		const struct tls_step *s = &r->handshake.steps[i];
		jw_obj(w, NULL);
		jms(w, "t_ms", s->t_ms, 1000);
		jw_str(w, "dir", s->dir == TLS_DIR_SENT ? "sent" : "received");
		jw_name(w, "type", names_step(s->type));
		jw_str(w, "detail", s->detail);
		if (s->probe)
			jw_bool(w, "probe", true);
		if (s->failure_point)
			jw_bool(w, "failure_point", true);
		jw_end_obj(w);
	}
	jw_end_arr(w);
}

static void jhandshake(struct jw *w, const struct tls_report *r)
{
	jw_obj(w, "handshake");
	jw_name(w, "status", names_hs_status(r->handshake.status));
	jw_str(w, "error", r->handshake.error);
	if (r->handshake.gnutls_error)
		jw_int(w, "gnutls_error", r->handshake.gnutls_error);
	else
		jw_null(w, "gnutls_error");
	jalert(w, "alert_received", &r->handshake.alert_received);
	jalert(w, "alert_sent", &r->handshake.alert_sent);
	jsteps(w, r);
	if (r->closed_without_answer)
		jw_real(w, "closed_after_ms", r->closed_after_ms);
	jw_end_obj(w);
}

static void jnegotiated(struct jw *w, const struct tls_negotiated *n)
{
	if (!n->present) {
		jw_null(w, "negotiated");
		return;
	}
	jw_obj(w, "negotiated");
	jw_str(w, "version", n->version);
	jw_str(w, "cipher_suite", n->cipher_suite);
	jw_str(w, "group", n->group);
	jw_str(w, "signature", n->signature);
	jw_str(w, "alpn", n->alpn);
	jw_bool(w, "resumed", n->resumed);
	jw_bool(w, "extended_master_secret", n->extended_master_secret);
	jw_bool(w, "ocsp_stapled", n->ocsp_stapled);
	jw_end_obj(w);
}

static void jverification(struct jw *w, const struct tls_verification *v)
{
	const struct tls_hostname_check *h = &v->hostname;

	jw_obj(w, "verification");
	jw_bool(w, "trusted", v->trusted);
	jw_int(w, "gnutls_status", v->gnutls_status);
	jlist(w, "reasons", &v->reasons);
	jw_str(w, "trust_source", v->trust_source);
	jw_obj(w, "hostname");
	jw_bool(w, "checked", h->checked);
	jw_str(w, "name", h->name);
	jw_bool(w, "match", h->match);
	jw_str(w, "matched_by", h->matched_by);
	jw_end_obj(w);
	jw_end_obj(w);
}

/* The per-peer verdicts ("clients" or "client_auth.servers"). */
static void jpeers(struct jw *w, const char *key, const struct tls_report *r,
		   enum profile_side side)
{
	struct profile_set set = {0};

	profiles_judge(r, side, &set);
	jw_arr(w, key);
	for (size_t i = 0; i < set.n; i++) {
		const struct profile_verdict *v = &set.v[i];
		jw_obj(w, NULL);
		jw_str(w, "id", v->id);
		jw_str(w, "name", v->name);
		jw_str(w, "verdict", v->accept ? "accept" : "reject");
		jw_arr(w, "reasons");
		for (size_t k = 0; k < v->n_reasons; k++) {
			const struct profile_reason *pr = &v->reasons[k];
			jw_obj(w, NULL);
			jw_str(w, "finding", pr->finding);
			if (pr->cert_index < 0)
				jw_null(w, "cert_index");
			else
				jw_int(w, "cert_index", pr->cert_index);
			jw_str(w, "says", pr->says);
			jw_end_obj(w);
		}
		jw_end_arr(w);
		if (v->min_version) /* clients: the lowest version it offers by default */
			jw_str(w, "min_version", v->min_version);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	profiles_free(&set);
}

static void jclient_auth(struct jw *w, const struct tls_report *r)
{
	const struct tls_client_auth *ca = &r->client_auth;

	jw_obj(w, "client_auth");
	jw_bool(w, "requested", ca->requested);
	jlist(w, "acceptable_cas", &ca->acceptable_cas);
	if (ca->requested_sigalgs.n || ca->requested_key_types.n) { /* connect, when asked */
		jlist(w, "requested_signature_algorithms", &ca->requested_sigalgs);
		jlist(w, "requested_key_types", &ca->requested_key_types);
	}
	jw_bool(w, "sent", ca->sent);
	if (ca->certificate)
		jcert(w, "certificate", ca->certificate);
	else
		jw_null(w, "certificate");
	if (ca->accepted < 0)
		jw_null(w, "accepted");
	else
		jw_bool(w, "accepted", ca->accepted);
	/* Listen mode: the servers' verdicts on the client's chain (peer_chain). Connect mode:
	 * the loaded chain, and the servers' verdicts on it. */
	if (r->mode == TLS_MODE_LISTEN && r->n_chain)
		jpeers(w, "servers", r, PROFILE_SERVERS);
	if (r->mode == TLS_MODE_CONNECT && ca->n_chain) {
		jw_arr(w, "chain");
		for (size_t i = 0; i < ca->n_chain; i++)
			jcert(w, NULL, &ca->chain[i]);
		jw_end_arr(w);
		jpeers(w, "servers", r, PROFILE_SERVERS);
	}
	jw_end_obj(w);
}

static void jhttp(struct jw *w, const struct tls_http *h)
{
	if (!h->present) {
		jw_null(w, "http");
		return;
	}
	jw_obj(w, "http");
	jw_str(w, "status_line", h->status_line);
	jlist(w, "headers", &h->headers);
	if (h->error)
		jw_str(w, "error", h->error);
	if (h->body_head)
		jw_str(w, "body_head", h->body_head);
	jw_end_obj(w);
}

static void jfindings(struct jw *w, const struct tls_report *r)
{
	jw_arr(w, "findings");
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct tls_finding *f = &r->findings[i];
		jw_obj(w, NULL);
		jw_name(w, "id", f->id);
		jw_name(w, "severity", names_severity(f->severity));
		jw_name(w, "subject", names_subject(f->subject));
		if (f->cert_index < 0)
			jw_null(w, "cert_index");
		else
			jw_int(w, "cert_index", f->cert_index);
		jw_str(w, "title", f->title);
		jw_str(w, "detail", f->detail);
		jw_str(w, "fix", f->fix);
		jw_end_obj(w);
	}
	jw_end_arr(w);
}

/* ---- revocation ---- */

static void jrev_state(struct jw *w, const char *key, enum tls_rev_state st)
{
	static const char *const names[] = {
		[REV_NONE] = NULL,
		[REV_GOOD] = "good",
		[REV_REVOKED] = "revoked",
		[REV_EXPIRED] = "expired",
		[REV_UNKNOWN] = "unknown",
		[REV_INVALID] = "invalid",
		[REV_UNREACHABLE] = "unreachable",
	};
	jw_str(w, key, names[st]);
}

static void jrevocation(struct jw *w, const struct tls_report *r)
{
	const struct tls_revocation_facts *f = &r->revocation;

	jw_arr(w, "revocation");
	for (size_t i = 0; i < f->n_certs && i < r->n_chain; i++) {
		const struct tls_cert_revocation *c = &f->certs[i];
		jw_obj(w, NULL);
		jw_int(w, "cert_index", (long long)i);
		jrev_state(w, "crl", c->crl);
		jrev_state(w, "ocsp_stapled", c->ocsp_stapled);
		jrev_state(w, "ocsp_queried", c->ocsp_queried);
		if (i == 0 && f->staple) {
			jw_obj(w, "staple");
			jtime(w, "produced_at", f->staple_produced);
			jtime(w, "this_update", f->staple_this_update);
			jtime(w, "next_update", f->staple_next_update);
			jtime(w, "revoked_at", f->staple_revoked_at);
			jw_str(w, "error", f->staple_error);
			jw_end_obj(w);
		}
		if (c->ocsp_url) {
			jw_obj(w, "responder");
			jw_str(w, "url", c->ocsp_url);
			jw_str(w, "error", c->ocsp_error);
			jw_end_obj(w);
		}
		jw_end_obj(w);
	}
	jw_end_arr(w);
}

static void jcrls(struct jw *w, const struct tls_revocation_facts *f)
{
	jw_arr(w, "crls");
	for (size_t i = 0; i < f->n_crls; i++) {
		jw_obj(w, NULL);
		jw_str(w, "issuer", f->crls[i].issuer);
		jtime(w, "next_update", f->crls[i].next_update);
		jw_bool(w, "expired", f->crls[i].expired);
		jw_bool(w, "for_chain", f->crls[i].for_chain);
		jw_end_obj(w);
	}
	jw_end_arr(w);
}

/* --fetch-intermediates: the chain verification used, as sent up to its top, then what AIA
 * gave, then the anchor. */
static void jbuilt_chain(struct jw *w, const struct tls_report *r)
{
	size_t top = 0;

	while (r->n_chain && top + 1 < r->n_chain && r->chain[top + 1].issues_previous)
		top++;
	jw_arr(w, "built_chain");
	for (size_t i = 0; r->n_chain && i <= top; i++) {
		jw_obj(w, NULL);
		jcert_fields(w, &r->chain[i]);
		jw_str(w, "source", "sent");
		jw_bool(w, "fetched", false);
		jw_end_obj(w);
	}
	for (size_t i = 0; i < r->aia.n_certs; i++) {
		jw_obj(w, NULL);
		jcert_fields(w, &r->aia.certs[i].info);
		jw_str(w, "source", "fetched");
		jw_bool(w, "fetched", true);
		jw_str(w, "url", r->aia.certs[i].url);
		jw_str(w, "format", r->aia.certs[i].format);
		jw_end_obj(w);
	}
	if (r->anchor) {
		jw_obj(w, NULL);
		jcert_fields(w, r->anchor);
		jw_str(w, "source", "anchor");
		jw_bool(w, "fetched", false);
		jw_end_obj(w);
	}
	jw_end_arr(w);
}

static void jtarget(struct jw *w, const struct tls_report *r)
{
	jw_obj(w, "target");
	jw_str(w, "host", r->target.host);
	jw_int(w, "port", (int)r->target.port);
	jw_str(w, "address", r->target.address);
	jw_str(w, "sni", r->target.sni);
	jw_str(w, "verify_name", r->target.verify_name);
	if (r->mode == TLS_MODE_CONNECT) {
		jw_str(w, "starttls", r->starttls.protocol);
		jw_str(w, "proxy", r->proxy.url);
	}
	jw_end_obj(w);
	if (r->mode == TLS_MODE_CONNECT) {
		static const char *const outcomes[] = {"unused", "tunnel", "refused", "failed"};
		if (!r->proxy.url) {
			jw_null(w, "proxy");
		} else {
			jw_obj(w, "proxy");
			jw_str(w, "kind", r->proxy.kind);
			jw_str(w, "address", r->proxy.address);
			jw_str(w, "outcome", outcomes[r->proxy.outcome]);
			jw_str(w, "answer", r->proxy.answer);
			jw_end_obj(w);
		}
	}
}

static void jlisten(struct jw *w, const struct tls_report *r)
{
	jw_obj(w, "peer");
	jw_str(w, "address", r->listen.peer_address);
	jw_end_obj(w);
	if (r->listen.n_serial_rules) {
		jw_obj(w, "serial_check");
		jw_bool(w, "allowed", r->listen.serial_matched != NULL);
		jw_str(w, "matched", r->listen.serial_matched);
		jw_str(w, "form", r->listen.serial_form);
		jw_end_obj(w);
	}
}

static void jtiming(struct jw *w, const struct tls_report *r)
{
	jw_obj(w, "timing");
	jms(w, "resolve_ms", r->timing.resolve_ms, 10);
	jms(w, "connect_ms", r->timing.connect_ms, 10);
	jms(w, "handshake_ms", r->timing.handshake_ms, 10);
	jms(w, "total_ms", r->timing.total_ms, 10);
	jw_end_obj(w);
}

static void jresumption(struct jw *w, const struct tls_report *s)
{
	jw_obj(w, "resumption");
	jw_name(w, "status", names_hs_status(s->handshake.status));
	jw_bool(w, "resumed", s->negotiated.present && s->negotiated.resumed);
	jw_str(w, "version", s->negotiated.version);
	jw_str(w, "cipher_suite", s->negotiated.cipher_suite);
	jms(w, "handshake_ms", s->timing.handshake_ms, 10);
	jw_str(w, "error", s->handshake.error);
	jsteps(w, s);
	jw_end_obj(w);
}

/* The JSON object of DESIGN.md §4. */
static void jreport(struct jw *w, const struct tls_report *r)
{
	jw_obj(w, NULL);
	jw_str(w, "tlsscope", TLSSCOPE_VERSION);
	jw_str(w, "mode", r->mode == TLS_MODE_LISTEN ? "listen" : "connect");
	jtarget(w, r);
	if (r->mode == TLS_MODE_LISTEN)
		jlisten(w, r);
	jtiming(w, r);
	jhandshake(w, r);
	jnegotiated(w, &r->negotiated);
	jw_arr(w, "peer_chain");
	for (size_t i = 0; i < r->n_chain; i++)
		jcert(w, NULL, &r->chain[i]);
	jw_end_arr(w);
	if (r->aia.attempted) {
		jbuilt_chain(w, r);
		jw_str(w, "aia_fetch_error", r->aia.error);
	}
	jverification(w, &r->verification);
	jrevocation(w, r);
	jcrls(w, &r->revocation);
	jclient_auth(w, r);
	if (r->mode == TLS_MODE_CONNECT && profiles_apply(r, PROFILE_CLIENTS))
		jpeers(w, "clients", r, PROFILE_CLIENTS);
	jhttp(w, &r->http);
	/* After STARTTLS: the protocol's first request and its answer. */
	if (r->application.present) {
		jw_obj(w, "application");
		jw_str(w, "protocol", r->application.protocol);
		jw_str(w, "answer", r->application.answer);
		jw_str(w, "error", r->application.error);
		jw_end_obj(w);
	}
	if (r->keylog_path) {
		jw_obj(w, "keylog");
		jw_str(w, "path", r->keylog_path);
		jw_end_obj(w);
	}
	if (r->resumption)
		jresumption(w, r->resumption);
	jfindings(w, r);
	jw_str(w, "verdict", r->verdict_ok ? "ok" : "fail");
	jw_end_obj(w);
}

void report_json_write(FILE *f, const struct tls_report *r, bool one_line)
{
	struct jw w;

	jw_begin(&w, f, one_line);
	jreport(&w, r);
	jw_flush(&w);
}

static void report_doc(struct jw *w, const void *arg)
{
	jreport(w, arg);
}

char *report_json_dump(const struct tls_report *r, bool one_line)
{
	return jw_dump(report_doc, r, one_line);
}

json_t *report_json_build(const struct tls_report *r)
{
	char *s = report_json_dump(r, true);
	json_t *o = json_loads(s, 0, NULL);

	free(s);
	return o ? o : json_object();
}

struct inspect_doc {
	const struct inspect_result *r;
	const char *mode, *dir;
	bool legacy;
};

static void inspect_doc(struct jw *w, const void *arg)
{
	const struct inspect_doc *d = arg;
	const struct inspect_result *r = d->r;

	jw_obj(w, NULL);
	jw_str(w, "tlsscope", TLSSCOPE_VERSION);
	jw_name(w, "mode", d->mode);
	if (d->dir) {
		jw_str(w, "dir", d->dir);
		jw_bool(w, "legacy", d->legacy);
	}
	jw_arr(w, "files");
	for (size_t i = 0; i < r->n_files; i++) {
		jw_obj(w, NULL);
		jw_str(w, "path", r->files[i].path);
		jw_str(w, "type", r->files[i].type);
		jw_str(w, "detail", r->files[i].detail);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_arr(w, "certificates");
	for (size_t i = 0; i < r->report.n_chain; i++)
		jcert(w, NULL, &r->report.chain[i]);
	jw_end_arr(w);
	jw_arr(w, "keys");
	for (size_t i = 0; i < r->n_keys; i++) {
		const struct inspect_key *k = &r->keys[i];
		jw_obj(w, NULL);
		jw_str(w, "path", k->path);
		jw_str(w, "algorithm", k->algorithm);
		jw_int(w, "bits", (int)k->bits);
		if (k->matches_certificate < 0)
			jw_null(w, "matches_certificate");
		else
			jw_int(w, "matches_certificate", k->matches_certificate);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_bool(w, "chain_complete", r->chain_complete);
	jw_arr(w, "chains");
	for (size_t i = 0; i < r->n_chains; i++) {
		const struct inspect_chain *c = &r->chains[i];
		jw_obj(w, NULL);
		jw_int(w, "leaf", (long long)c->leaf);
		jw_int(w, "top", (long long)c->top);
		jw_int(w, "length", (long long)c->length);
		jw_bool(w, "complete", c->complete);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	if (r->report.verification.done)
		jverification(w, &r->report.verification);
	/* With --purpose and --ca: how the peers of that side would judge the files. */
	if (r->report.verification.done && r->report.n_chain && r->purpose != PURPOSE_NONE)
		jpeers(w, r->purpose == PURPOSE_CLIENT ? "servers" : "clients", &r->report,
		       r->purpose == PURPOSE_CLIENT ? PROFILE_SERVERS : PROFILE_CLIENTS);
	jfindings(w, &r->report);
	jw_str(w, "verdict", r->report.verdict_ok ? "ok" : "fail");
	jw_end_obj(w);
}

char *inspect_json_dump(const struct inspect_result *r, const char *mode, const char *dir,
			bool legacy)
{
	struct inspect_doc d = {.r = r, .mode = mode, .dir = dir, .legacy = legacy};

	return jw_dump(inspect_doc, &d, false);
}

struct explain_doc {
	const struct profile_match *m;
	size_t n;
};

static void explain_doc(struct jw *w, const void *arg)
{
	const struct explain_doc *d = arg;

	jw_obj(w, NULL);
	jw_str(w, "tlsscope", TLSSCOPE_VERSION);
	jw_str(w, "mode", "explain");
	jw_arr(w, "matches");
	for (size_t i = 0; i < d->n; i++) {
		jw_obj(w, NULL);
		jw_str(w, "client", d->m[i].client);
		jw_str(w, "finding", d->m[i].finding);
		jw_str(w, "title", d->m[i].title);
		jw_str(w, "detail", d->m[i].detail);
		jw_str(w, "fix", d->m[i].fix);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_end_obj(w);
}

char *explain_json_dump(const struct profile_match *m, size_t n)
{
	struct explain_doc d = {.m = m, .n = n};

	return jw_dump(explain_doc, &d, false);
}
