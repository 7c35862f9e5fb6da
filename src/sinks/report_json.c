#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sinks.h"
#include "tlsscope/names.h"
#include "tlsscope/textsafe.h"

/* jansson refuses invalid UTF-8 (json_string returns NULL and the field vanishes): repair first. */
static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	size_t n;
	char *clean = textsafe_utf8_nul(s, strlen(s), &n);
	json_t *j = json_stringn(clean, n);
	free(clean);
	return j ? j : json_null();
}

/* jansson writes DEL (0x7f) raw even with JSON_ENSURE_ASCII, and a terminal showing the report
 * must not get it. JSON has no such byte outside strings, so each becomes \u007f. */
static char *dumps(const json_t *o, size_t flags)
{
	char *s = json_dumps(o, flags);

	if (!s || !strchr(s, 0x7f))
		return s;
	size_t len = strlen(s), n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == 0x7f;
	char *out = xmalloc(len + 5 * n + 1), *p = out;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == 0x7f) {
			memcpy(p, "\\u007f", 6);
			p += 6;
		} else {
			*p++ = s[i];
		}
	}
	*p = 0;
	free(s);
	return out;
}

static json_t *jms(double ms, double scale)
{
	if (ms < 0)
		return json_null();
	return json_real(round(ms * scale) / scale);
}

static json_t *jlist(const struct strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, jstr(l->v[i]));
	return a;
}

static json_t *jtime(long long t)
{
	char buf[32];

	if (t < 0)
		return json_null();
	util_iso_time(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *jalert(const struct tls_alert *a)
{
	if (!a->present)
		return json_null();
	return json_pack("{s:s, s:i, s:o}", "level", names_alert_level(a->level), "code", a->code,
			 "name", jstr(names_alert(a->code)));
}

static json_t *jcert(const struct tls_cert_info *ci)
{
	json_t *key = json_pack("{s:s, s:i}", "algorithm",
				ci->key_algorithm ? ci->key_algorithm : "unknown", "bits",
				(int)ci->key_bits);
	if (ci->key_curve)
		json_object_set_new(key, "curve", jstr(ci->key_curve));
	json_t *o = json_object();
	json_object_set_new(o, "index", json_integer(ci->index));
	json_object_set_new(o, "subject", jstr(ci->subject));
	json_object_set_new(o, "issuer", jstr(ci->issuer));
	json_object_set_new(o, "serial_hex", jstr(ci->serial_hex));
	json_object_set_new(o, "serial_dec", jstr(ci->serial_dec));
	json_object_set_new(o, "not_before", jtime(ci->not_before));
	json_object_set_new(o, "not_after", jtime(ci->not_after));
	json_object_set_new(o, "san", jlist(&ci->san));
	json_object_set_new(o, "key", key);
	json_object_set_new(o, "signature_algorithm", jstr(ci->signature_algorithm));
	json_object_set_new(o, "sha256", jstr(ci->sha256));
	json_object_set_new(o, "key_usage", jlist(&ci->key_usage));
	json_object_set_new(o, "eku", jlist(&ci->eku));
	json_object_set_new(o, "is_ca", json_boolean(ci->is_ca));
	json_object_set_new(o, "self_signed", json_boolean(ci->self_signed));
	json_object_set_new(o, "version", json_integer(ci->version));
	json_object_set_new(o, "status", jlist(&ci->status));
	return o;
}

static json_t *jsteps(const struct tls_report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->handshake.n_steps; i++) {
		const struct tls_step *s = &r->handshake.steps[i];
		json_t *o = json_object();
		json_object_set_new(o, "t_ms", jms(s->t_ms, 1000));
		json_object_set_new(o, "dir",
				    json_string(s->dir == TLS_DIR_SENT ? "sent" : "received"));
		json_object_set_new(o, "type", json_string(names_step(s->type)));
		json_object_set_new(o, "detail", jstr(s->detail));
		if (s->probe)
			json_object_set_new(o, "probe", json_true());
		if (s->failure_point)
			json_object_set_new(o, "failure_point", json_true());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *jhandshake(const struct tls_report *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "status", json_string(names_hs_status(r->handshake.status)));
	json_object_set_new(o, "error", jstr(r->handshake.error));
	json_object_set_new(o, "gnutls_error",
			    r->handshake.gnutls_error ? json_integer(r->handshake.gnutls_error)
						      : json_null());
	json_object_set_new(o, "alert_received", jalert(&r->handshake.alert_received));
	json_object_set_new(o, "alert_sent", jalert(&r->handshake.alert_sent));
	json_object_set_new(o, "steps", jsteps(r));
	return o;
}

static json_t *jnegotiated(const struct tls_negotiated *n)
{
	if (!n->present)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "version", jstr(n->version));
	json_object_set_new(o, "cipher_suite", jstr(n->cipher_suite));
	json_object_set_new(o, "group", jstr(n->group));
	json_object_set_new(o, "signature", jstr(n->signature));
	json_object_set_new(o, "alpn", jstr(n->alpn));
	json_object_set_new(o, "resumed", json_boolean(n->resumed));
	json_object_set_new(o, "extended_master_secret", json_boolean(n->extended_master_secret));
	json_object_set_new(o, "ocsp_stapled", json_boolean(n->ocsp_stapled));
	return o;
}

static json_t *jverification(const struct tls_verification *v)
{
	const struct tls_hostname_check *h = &v->hostname;
	json_t *o = json_object();

	json_object_set_new(o, "trusted", json_boolean(v->trusted));
	json_object_set_new(o, "gnutls_status", json_integer(v->gnutls_status));
	json_object_set_new(o, "reasons", jlist(&v->reasons));
	json_object_set_new(o, "trust_source", jstr(v->trust_source));
	json_object_set_new(o, "hostname",
			    json_pack("{s:b, s:o, s:b, s:o}", "checked", h->checked, "name",
				      jstr(h->name), "match", h->match, "matched_by",
				      jstr(h->matched_by)));
	return o;
}

/* The per-peer verdicts ("clients" or "client_auth.servers"). */
static json_t *jpeers(const struct tls_report *r, enum profile_side side)
{
	struct profile_set set = {0};
	json_t *a = json_array();

	profiles_judge(r, side, &set);
	for (size_t i = 0; i < set.n; i++) {
		const struct profile_verdict *v = &set.v[i];
		json_t *reasons = json_array();
		for (size_t k = 0; k < v->n_reasons; k++) {
			const struct profile_reason *pr = &v->reasons[k];
			json_array_append_new(
				reasons,
				json_pack("{s:s, s:o, s:o}", "finding", pr->finding, "cert_index",
					  pr->cert_index < 0 ? json_null()
							     : json_integer(pr->cert_index),
					  "says", jstr(pr->says)));
		}
		json_array_append_new(a,
				      json_pack("{s:s, s:s, s:s, s:o}", "id", v->id, "name",
						v->name, "verdict", v->accept ? "accept" : "reject",
						"reasons", reasons));
		if (v->min_version) /* clients: the lowest version it offers by default */
			json_object_set_new(json_array_get(a, i), "min_version",
					    json_string(v->min_version));
	}
	profiles_free(&set);
	return a;
}

static json_t *jclient_auth(const struct tls_report *r)
{
	const struct tls_client_auth *ca = &r->client_auth;
	json_t *o = json_object();

	json_object_set_new(o, "requested", json_boolean(ca->requested));
	json_object_set_new(o, "acceptable_cas", jlist(&ca->acceptable_cas));
	if (ca->requested_sigalgs.n || ca->requested_key_types.n) { /* connect, when asked */
		json_object_set_new(o, "requested_signature_algorithms",
				    jlist(&ca->requested_sigalgs));
		json_object_set_new(o, "requested_key_types", jlist(&ca->requested_key_types));
	}
	json_object_set_new(o, "sent", json_boolean(ca->sent));
	json_object_set_new(o, "certificate",
			    ca->certificate ? jcert(ca->certificate) : json_null());
	json_object_set_new(o, "accepted",
			    ca->accepted < 0 ? json_null() : json_boolean(ca->accepted));
	/* Listen mode: the servers' verdicts on the client's chain (peer_chain). Connect mode:
	 * the loaded chain, and the servers' verdicts on it. */
	if (r->mode == TLS_MODE_LISTEN && r->n_chain)
		json_object_set_new(o, "servers", jpeers(r, PROFILE_SERVERS));
	if (r->mode == TLS_MODE_CONNECT && ca->n_chain) {
		json_t *chain = json_array();
		for (size_t i = 0; i < ca->n_chain; i++)
			json_array_append_new(chain, jcert(&ca->chain[i]));
		json_object_set_new(o, "chain", chain);
		json_object_set_new(o, "servers", jpeers(r, PROFILE_SERVERS));
	}
	return o;
}

static json_t *jhttp(const struct tls_http *h)
{
	if (!h->present)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "status_line", jstr(h->status_line));
	json_object_set_new(o, "headers", jlist(&h->headers));
	if (h->error)
		json_object_set_new(o, "error", jstr(h->error));
	if (h->body_head)
		json_object_set_new(o, "body_head", jstr(h->body_head));
	return o;
}

static json_t *jfindings(const struct tls_report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_findings; i++) {
		const struct tls_finding *f = &r->findings[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(f->id));
		json_object_set_new(o, "severity", json_string(names_severity(f->severity)));
		json_object_set_new(o, "subject", json_string(names_subject(f->subject)));
		json_object_set_new(o, "cert_index",
				    f->cert_index < 0 ? json_null() : json_integer(f->cert_index));
		json_object_set_new(o, "title", jstr(f->title));
		json_object_set_new(o, "detail", jstr(f->detail));
		json_object_set_new(o, "fix", jstr(f->fix));
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- revocation ---- */

static json_t *jrev_state(enum tls_rev_state st)
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
	return jstr(names[st]);
}

static json_t *jrevocation(const struct tls_report *r)
{
	const struct tls_revocation_facts *f = &r->revocation;
	json_t *a = json_array();

	for (size_t i = 0; i < f->n_certs && i < r->n_chain; i++) {
		const struct tls_cert_revocation *c = &f->certs[i];
		json_t *o = json_object();
		json_object_set_new(o, "cert_index", json_integer((json_int_t)i));
		json_object_set_new(o, "crl", jrev_state(c->crl));
		json_object_set_new(o, "ocsp_stapled", jrev_state(c->ocsp_stapled));
		json_object_set_new(o, "ocsp_queried", jrev_state(c->ocsp_queried));
		if (i == 0 && f->staple)
			json_object_set_new(o, "staple",
					    json_pack("{s:o, s:o, s:o, s:o, s:o}", "produced_at",
						      jtime(f->staple_produced), "this_update",
						      jtime(f->staple_this_update), "next_update",
						      jtime(f->staple_next_update), "revoked_at",
						      jtime(f->staple_revoked_at), "error",
						      jstr(f->staple_error)));
		if (c->ocsp_url)
			json_object_set_new(o, "responder",
					    json_pack("{s:o, s:o}", "url", jstr(c->ocsp_url),
						      "error", jstr(c->ocsp_error)));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *jcrls(const struct tls_revocation_facts *f)
{
	json_t *a = json_array();

	for (size_t i = 0; i < f->n_crls; i++)
		json_array_append_new(
			a, json_pack("{s:o, s:o, s:b, s:b}", "issuer", jstr(f->crls[i].issuer),
				     "next_update", jtime(f->crls[i].next_update), "expired",
				     f->crls[i].expired, "for_chain", f->crls[i].for_chain));
	return a;
}

/* --fetch-intermediates: the chain verification used, as sent up to its top, then what AIA
 * gave, then the anchor. */
static json_t *jbuilt_chain(const struct tls_report *r)
{
	json_t *a = json_array();
	size_t top = 0;

	while (r->n_chain && top + 1 < r->n_chain && r->chain[top + 1].issues_previous)
		top++;
	for (size_t i = 0; r->n_chain && i <= top; i++) {
		json_t *c = jcert(&r->chain[i]);
		json_object_set_new(c, "source", json_string("sent"));
		json_object_set_new(c, "fetched", json_false());
		json_array_append_new(a, c);
	}
	for (size_t i = 0; i < r->aia.n_certs; i++) {
		json_t *c = jcert(&r->aia.certs[i].info);
		json_object_set_new(c, "source", json_string("fetched"));
		json_object_set_new(c, "fetched", json_true());
		json_object_set_new(c, "url", jstr(r->aia.certs[i].url));
		json_object_set_new(c, "format", jstr(r->aia.certs[i].format));
		json_array_append_new(a, c);
	}
	if (r->anchor) {
		json_t *c = jcert(r->anchor);
		json_object_set_new(c, "source", json_string("anchor"));
		json_object_set_new(c, "fetched", json_false());
		json_array_append_new(a, c);
	}
	return a;
}

json_t *report_json_build(const struct tls_report *r)
{
	json_t *o = json_object();
	json_t *chain = json_array();

	json_object_set_new(o, "tlsscope", json_string(TLSSCOPE_VERSION));
	json_object_set_new(o, "mode",
			    json_string(r->mode == TLS_MODE_LISTEN ? "listen" : "connect"));
	json_object_set_new(o, "target",
			    json_pack("{s:o, s:i, s:o, s:o, s:o}", "host", jstr(r->target.host),
				      "port", (int)r->target.port, "address",
				      jstr(r->target.address), "sni", jstr(r->target.sni),
				      "verify_name", jstr(r->target.verify_name)));
	if (r->mode == TLS_MODE_CONNECT) {
		static const char *const outcomes[] = {"unused", "tunnel", "refused", "failed"};
		json_t *t = json_object_get(o, "target");
		json_object_set_new(t, "starttls", jstr(r->starttls.protocol));
		json_object_set_new(t, "proxy", jstr(r->proxy.url));
		json_object_set_new(o, "proxy",
				    r->proxy.url ? json_pack("{s:s, s:o, s:s, s:o}", "kind",
							     r->proxy.kind, "address",
							     jstr(r->proxy.address), "outcome",
							     outcomes[r->proxy.outcome], "answer",
							     jstr(r->proxy.answer))
						 : json_null());
	}
	if (r->mode == TLS_MODE_LISTEN) {
		json_object_set_new(o, "peer",
				    json_pack("{s:o}", "address", jstr(r->listen.peer_address)));
		if (r->listen.n_serial_rules)
			json_object_set_new(o, "serial_check",
					    json_pack("{s:b, s:o, s:o}", "allowed",
						      r->listen.serial_matched != NULL, "matched",
						      jstr(r->listen.serial_matched), "form",
						      jstr(r->listen.serial_form)));
	}
	json_object_set_new(o, "timing",
			    json_pack("{s:o, s:o, s:o, s:o}", "resolve_ms",
				      jms(r->timing.resolve_ms, 10), "connect_ms",
				      jms(r->timing.connect_ms, 10), "handshake_ms",
				      jms(r->timing.handshake_ms, 10), "total_ms",
				      jms(r->timing.total_ms, 10)));
	json_object_set_new(o, "handshake", jhandshake(r));
	if (r->closed_without_answer)
		json_object_set_new(json_object_get(o, "handshake"), "closed_after_ms",
				    json_real(r->closed_after_ms));
	json_object_set_new(o, "negotiated", jnegotiated(&r->negotiated));
	for (size_t i = 0; i < r->n_chain; i++)
		json_array_append_new(chain, jcert(&r->chain[i]));
	json_object_set_new(o, "peer_chain", chain);
	if (r->aia.attempted) {
		json_object_set_new(o, "built_chain", jbuilt_chain(r));
		json_object_set_new(o, "aia_fetch_error", jstr(r->aia.error));
	}
	json_object_set_new(o, "verification", jverification(&r->verification));
	json_object_set_new(o, "revocation", jrevocation(r));
	json_object_set_new(o, "crls", jcrls(&r->revocation));
	json_object_set_new(o, "client_auth", jclient_auth(r));
	if (r->mode == TLS_MODE_CONNECT && profiles_apply(r, PROFILE_CLIENTS))
		json_object_set_new(o, "clients", jpeers(r, PROFILE_CLIENTS));
	json_object_set_new(o, "http", jhttp(&r->http));
	/* After STARTTLS: the protocol's first request and its answer. */
	if (r->application.present)
		json_object_set_new(o, "application",
				    json_pack("{s:o, s:o, s:o}", "protocol",
					      jstr(r->application.protocol), "answer",
					      jstr(r->application.answer), "error",
					      jstr(r->application.error)));
	if (r->keylog_path)
		json_object_set_new(o, "keylog", json_pack("{s:o}", "path", jstr(r->keylog_path)));
	if (r->resumption) {
		const struct tls_report *s = r->resumption;
		json_t *res = json_object();
		json_object_set_new(res, "status",
				    json_string(names_hs_status(s->handshake.status)));
		json_object_set_new(res, "resumed",
				    json_boolean(s->negotiated.present && s->negotiated.resumed));
		json_object_set_new(res, "version", jstr(s->negotiated.version));
		json_object_set_new(res, "cipher_suite", jstr(s->negotiated.cipher_suite));
		json_object_set_new(res, "handshake_ms", jms(s->timing.handshake_ms, 10));
		json_object_set_new(res, "error", jstr(s->handshake.error));
		json_object_set_new(res, "steps", jsteps(s));
		json_object_set_new(o, "resumption", res);
	}
	json_object_set_new(o, "findings", jfindings(r));
	json_object_set_new(o, "verdict", json_string(r->verdict_ok ? "ok" : "fail"));
	return o;
}

char *report_json_dump(const struct tls_report *r, bool one_line)
{
	json_t *o = report_json_build(r);
	size_t flags = JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12) |
		       (one_line ? JSON_COMPACT : JSON_INDENT(2));
	char *s = dumps(o, flags);

	json_decref(o);
	if (!s)
		s = xstrdup("{}");
	return s;
}

char *inspect_json_dump(const struct inspect_result *r, const char *mode, const char *dir,
			bool legacy)
{
	json_t *o = json_object();
	json_t *files = json_array(), *certs = json_array(), *keys = json_array();

	json_object_set_new(o, "tlsscope", json_string(TLSSCOPE_VERSION));
	json_object_set_new(o, "mode", json_string(mode));
	if (dir) {
		json_object_set_new(o, "dir", jstr(dir));
		json_object_set_new(o, "legacy", json_boolean(legacy));
	}
	for (size_t i = 0; i < r->n_files; i++)
		json_array_append_new(
			files, json_pack("{s:o, s:s, s:o}", "path", jstr(r->files[i].path), "type",
					 r->files[i].type, "detail", jstr(r->files[i].detail)));
	json_object_set_new(o, "files", files);
	for (size_t i = 0; i < r->report.n_chain; i++)
		json_array_append_new(certs, jcert(&r->report.chain[i]));
	json_object_set_new(o, "certificates", certs);
	for (size_t i = 0; i < r->n_keys; i++) {
		const struct inspect_key *k = &r->keys[i];
		json_array_append_new(
			keys, json_pack("{s:o, s:s, s:i, s:o}", "path", jstr(k->path), "algorithm",
					k->algorithm, "bits", (int)k->bits, "matches_certificate",
					k->matches_certificate < 0
						? json_null()
						: json_integer(k->matches_certificate)));
	}
	json_object_set_new(o, "keys", keys);
	json_object_set_new(o, "chain_complete", json_boolean(r->chain_complete));
	json_t *chains = json_array();
	for (size_t i = 0; i < r->n_chains; i++) {
		const struct inspect_chain *c = &r->chains[i];
		json_array_append_new(chains,
				      json_pack("{s:I, s:I, s:I, s:b}", "leaf", (json_int_t)c->leaf,
						"top", (json_int_t)c->top, "length",
						(json_int_t)c->length, "complete", c->complete));
	}
	json_object_set_new(o, "chains", chains);
	if (r->report.verification.done)
		json_object_set_new(o, "verification", jverification(&r->report.verification));
	/* With --purpose and --ca: how the peers of that side would judge the files. */
	if (r->report.verification.done && r->report.n_chain && r->purpose != PURPOSE_NONE)
		json_object_set_new(o, r->purpose == PURPOSE_CLIENT ? "servers" : "clients",
				    jpeers(&r->report, r->purpose == PURPOSE_CLIENT
							       ? PROFILE_SERVERS
							       : PROFILE_CLIENTS));
	json_object_set_new(o, "findings", jfindings(&r->report));
	json_object_set_new(o, "verdict", json_string(r->report.verdict_ok ? "ok" : "fail"));
	char *s = dumps(o, JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_INDENT(2) |
				   JSON_REAL_PRECISION(12));
	json_decref(o);
	return s ? s : xstrdup("{}");
}

char *explain_json_dump(const struct profile_match *m, size_t n)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "tlsscope", json_string(TLSSCOPE_VERSION));
	json_object_set_new(o, "mode", json_string("explain"));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o}", "client",
						   m[i].client, "finding", m[i].finding, "title",
						   jstr(m[i].title), "detail", jstr(m[i].detail),
						   "fix", jstr(m[i].fix)));
	json_object_set_new(o, "matches", a);
	char *s = dumps(o, JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(o);
	return s ? s : xstrdup("{}");
}
