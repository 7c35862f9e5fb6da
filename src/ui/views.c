/* Views of a report as lines: header, timeline, summary, chain, findings, certificate detail,
 * listen rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "sinks/timeline.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/names.h"
#include "tlsscope/profiles.h"
#include "tlsscope/textsafe.h"
#include "views.h"

enum ui_style view_severity_style(enum tls_severity s)
{
	static const enum ui_style styles[] = {
		[SEV_ERROR] = ST_ERROR, [SEV_WARNING] = ST_WARN, [SEV_INFO] = ST_INFO};
	return styles[s];
}

static const char *severity_mark(enum tls_severity s, const struct ui_glyphs *g)
{
	return s == SEV_ERROR ? g->bad : s == SEV_WARNING ? g->warn : g->info;
}

char *view_common_name(const char *dn)
{
	if (!dn)
		return xstrdup("-");
	/* GnuTLS writes RFC 4514 order: "CN=leaf,O=org"; a comma inside a value is escaped. */
	for (const char *p = dn; *p; p++) {
		if ((p == dn || p[-1] == ',') && strncmp(p, "CN=", 3) == 0) {
			const char *v = p + 3, *e = v;
			while (*e && !(*e == ',' && e[-1] != '\\'))
				e++;
			return xstrndup(v, (size_t)(e - v));
		}
	}
	return xstrdup(dn);
}

static void verdict_segment(struct ui_line *ln, const struct tls_report *r,
			    const struct ui_glyphs *g)
{
	size_t n[3] = {0};

	for (size_t i = 0; i < r->n_findings; i++)
		n[r->findings[i].severity]++;
	if (r->verdict_ok) {
		line_addf(ln, ST_OK, "%s OK", g->ok);
		if (n[SEV_WARNING])
			line_addf(ln, ST_WARN, "  %zu warning%s", n[SEV_WARNING],
				  n[SEV_WARNING] == 1 ? "" : "s");
		return;
	}
	if (n[SEV_ERROR])
		line_addf(ln, ST_ERROR, "%s FAIL: %zu error%s", g->bad, n[SEV_ERROR],
			  n[SEV_ERROR] == 1 ? "" : "s");
	else
		line_addf(ln, ST_ERROR, "%s FAIL", g->bad);
	if (n[SEV_WARNING])
		line_addf(ln, ST_WARN, ", %zu warning%s", n[SEV_WARNING],
			  n[SEV_WARNING] == 1 ? "" : "s");
}

void view_header(struct ui_lines *L, const struct tls_report *r, const struct view_run *run,
		 const struct ui_glyphs *g)
{
	struct ui_line *ln = lines_add(L, -1);

	line_addf(ln, ST_TITLE, "tlsscope %s  ", run->mode);
	if (run->title) {
		line_addf(ln, ST_TITLE, "%s", run->title);
	} else {
		line_add_safe(ln, ST_TITLE, r->target.host);
		line_addf(ln, ST_TITLE, ":%u", r->target.port);
		if (r->target.address && r->target.host &&
		    strcmp(r->target.address, r->target.host) != 0) {
			line_addf(ln, ST_DIM, " (");
			line_add_safe(ln, ST_DIM, r->target.address);
			line_addf(ln, ST_DIM, ")");
		}
	}
	line_addf(ln, ST_NORMAL, "   ");
	if (run->running) {
		const char *phase = r->handshake.n_steps ? "handshake"
				    : r->target.address	 ? "connecting"
							 : "resolving";
		line_addf(ln, ST_INFO, "%s %s %.0f ms", g->spinner[run->tick % g->n_spinner], phase,
			  run->elapsed_ms);
	} else {
		if (r->negotiated.version)
			line_addf(ln, ST_NORMAL, "%s  ", r->negotiated.version);
		if (r->timing.total_ms >= 0)
			line_addf(ln, ST_DIM, "%.1f ms  ", r->timing.total_ms);
		verdict_segment(ln, r, g);
	}
	ln = lines_add(L, -1);
	line_addf(ln, ST_DIM, "%s", run->setup ? run->setup : "");
}

/* The HTTP answer's first body lines, where the handshake ends (the timeline follows its end,
 * and its column is wider than the negotiated one): a refusal often says why only there
 * (nginx's "400 No required SSL certificate was sent"). body_head is escaped already (its line
 * breaks are \x0a); HTML tags are left out, so that the words fit the narrow column, and what is
 * left goes through line_add_safe again. */
static void body_rows(struct ui_lines *L, const char *status, const char *body)
{
	int shown = 0;
	char *prev = NULL;

	for (const char *p = body; p && *p && shown < 3;) {
		const char *eol = strstr(p, "\\x0a");
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char *text = xmalloc(n + 1), *o = text;
		bool in_tag = false;

		for (size_t i = 0; i < n; i++) {
			if (!strncmp(p + i, "\\x0d", 4)) {
				i += 3;
				continue;
			}
			if (p[i] == '<')
				in_tag = true;
			else if (p[i] == '>' && in_tag)
				in_tag = false;
			else if (!in_tag && !(p[i] == ' ' && (o == text || o[-1] == ' ')))
				*o++ = p[i];
		}
		while (o > text && o[-1] == ' ')
			o--;
		*o = '\0';
		/* nginx says it three times (title, h1, text): once is enough, and not what the
		 * status line says already ("400 Bad Request"). */
		if (*text && !(prev && strstr(prev, text)) && !(status && strstr(status, text))) {
			struct ui_line *ln = lines_add(L, -1);
			line_addf(ln, ST_DIM, "%-10s ", shown ? "" : "HTTP body");
			line_add_safe(ln, ST_NORMAL, text);
			shown++;
			free(prev);
			prev = text;
		} else {
			free(text);
		}
		p = eol ? eol + 4 : p + n;
	}
	free(prev);
}

/* timeline_step's parts in the TUI's styles: an alert in red, a probe dimmed. */
static void put_step_part(void *ctx, enum timeline_part part, const struct tls_step *s,
			  const char *text)
{
	struct ui_line *ln = ctx;
	bool alert = s->type == STEP_ALERT;
	enum ui_style st = alert ? ST_ERROR : s->probe ? ST_DIM : ST_NORMAL;

	if (part == TL_TIME)
		line_addf(ln, ST_DIM, "%s", text);
	else if (part == TL_MARK)
		line_addf(ln, ST_ERROR, "%s", text);
	else if (part == TL_DETAIL)
		line_add_safe(ln, alert ? ST_ERROR : ST_DIM, text);
	else
		line_addf(ln, st, "%s", text);
}

void view_timeline(struct ui_lines *L, const struct tls_report *r, const struct ui_glyphs *g)
{
	struct timeline_layout lay = {
		.sent = g->sent,
		.received = g->received,
		.failed_here = g->failed_here,
		.indent = "",
		.arrow_gap = " ",
		.detail_gap = "  ",
		.mark_first = true,
	};

	for (size_t i = 0; i < r->handshake.n_steps; i++)
		timeline_step(&r->handshake.steps[i], &lay, put_step_part, lines_add(L, (int)i));
	if (r->handshake.status == HS_NOT_STARTED)
		return;
	struct ui_line *ln = lines_add(L, -1);
	const struct tls_alert *a = &r->handshake.alert_received;
	bool fatal = a->present && a->level == 2;
	bool ok = r->handshake.status == HS_COMPLETE && !fatal;
	/* A completed handshake the peer then ended with a fatal alert (TLS 1.3 refuses a client
	 * certificate that way) is no success: it is not shown green. */
	line_addf(ln, ok ? ST_OK : ST_ERROR, "%s handshake %s", ok ? g->ok : g->bad,
		  names_hs_status(r->handshake.status));
	if (r->handshake.status == HS_COMPLETE && fatal) {
		const char *name = names_alert(a->code);
		line_addf(ln, ST_ERROR, ", then the peer ended it with the fatal alert %s (%d)",
			  name ? name : "unknown", a->code);
	}
	if (r->handshake.error) {
		line_addf(ln, ST_NORMAL, ": ");
		line_add_safe(ln, ST_NORMAL, r->handshake.error);
	}
	if (r->http.present)
		body_rows(L, r->http.status_line, r->http.body_head);
}

static void summary_row(struct ui_lines *L, const char *label, const char *value, enum ui_style st)
{
	struct ui_line *ln = lines_add(L, -1);
	line_addf(ln, ST_DIM, "%-10s ", label);
	line_add_safe(ln, st, value);
}

void view_summary(struct ui_lines *L, const struct tls_report *r)
{
	const struct tls_negotiated *n = &r->negotiated;
	const struct tls_client_auth *ca = &r->client_auth;

	if (n->present) {
		summary_row(L, "version", n->version, ST_TITLE);
		summary_row(L, "cipher", n->cipher_suite, ST_NORMAL);
		summary_row(L, "group", n->group, ST_NORMAL);
		summary_row(L, "signature", n->signature, ST_NORMAL);
		if (n->alpn)
			summary_row(L, "ALPN", n->alpn, ST_NORMAL);
		if (n->resumed)
			summary_row(L, "resumed", "yes", ST_OK);
	}
	if (r->mode == TLS_MODE_CONNECT) {
		if (ca->requested || ca->loaded)
			summary_row(L, "client crt",
				    !ca->requested ? "loaded, not asked for"
				    : ca->sent	   ? "asked for, sent"
						   : "asked for, none sent",
				    ca->requested && !ca->sent ? ST_ERROR : ST_NORMAL);
		if (r->resumption)
			summary_row(L, "resumed",
				    r->resumption->negotiated.resumed ? "yes (second connection)"
								      : "NO",
				    r->resumption->negotiated.resumed ? ST_OK : ST_ERROR);
	} else {
		summary_row(L, "peer", r->listen.peer_address, ST_NORMAL);
		if (r->listen.serial_matched)
			summary_row(L, "serial", r->listen.serial_form, ST_OK);
	}
	if (r->http.present) {
		if (r->http.status_line)
			summary_row(L, "HTTP", r->http.status_line,
				    r->http.status_code >= 400 ? ST_ERROR : ST_NORMAL);
		else if (r->http.error)
			summary_row(L, "HTTP", r->http.error, ST_WARN);
	}
	if (r->verification.hostname.checked) {
		summary_row(L, "name", r->verification.hostname.name,
			    r->verification.hostname.match ? ST_OK : ST_ERROR);
	}
}

/* The checks the chain region marks; the catalog says which column each finding fails
 * (DESIGN.md §5). */
static const struct chain_check {
	const char *label;
	enum finding_check check;
	bool leaf_only;
} chain_checks[] = {
	{.label = "trust", .check = CHECK_TRUST},
	{.label = "name", .check = CHECK_NAME, .leaf_only = true},
	{.label = "dates", .check = CHECK_DATES},
	{.label = "sig", .check = CHECK_SIG},
	{.label = "key", .check = CHECK_KEY},
	{.label = "use", .check = CHECK_USE},
};

/* The worst severity among the check's findings on certificate c: 0..2, or 3 when none failed. */
static int check_result(const struct chain_check *k, const struct tls_cert_info *c)
{
	int worst = 3;

	for (size_t i = 0; i < c->status.n; i++) {
		const struct diag_entry *e = diagnose_lookup(c->status.v[i]);
		if (e && e->check == k->check && (int)e->severity < worst)
			worst = (int)e->severity;
	}
	return worst;
}

/* A certificate's CN in the chain's column: cut with an ellipsis, padded to width. */
static void cn_column(struct ui_line *ln, const char *cn, int width, const struct ui_glyphs *g)
{
	char *safe = textsafe_escape(cn, strlen(cn));
	int w = text_width(safe);

	if (w > width) {
		size_t fit = text_fit(safe, width - 1);
		line_addf(ln, ST_TITLE, "%.*s%s", (int)fit, safe, g->ellipsis);
		w = text_width(ln->seg[ln->n - 1].text);
	} else {
		line_addf(ln, ST_TITLE, "%s", safe);
	}
	line_addf(ln, ST_NORMAL, "%*s", width - w + 1, "");
	free(safe);
}

/* What each revocation source says, as the chain row and the detail show it. */
static const struct rev_word {
	const char *word;
	enum ui_style st;
	int mark; /* 0 ok, 1 bad, 2 warn, 3 none */
} rev_words[] = {
	[REV_NONE] = {"not checked", ST_DIM, 3},	 [REV_GOOD] = {"good", ST_OK, 0},
	[REV_REVOKED] = {"revoked", ST_ERROR, 1},	 [REV_EXPIRED] = {"expired", ST_ERROR, 1},
	[REV_UNKNOWN] = {"unknown", ST_WARN, 2},	 [REV_INVALID] = {"invalid", ST_ERROR, 1},
	[REV_UNREACHABLE] = {"unreachable", ST_WARN, 2},
};

static const struct rev_word *rev_word(enum tls_rev_state st)
{
	return (size_t)st < sizeof(rev_words) / sizeof(rev_words[0]) ? &rev_words[st]
								     : &rev_words[REV_NONE];
}

static const char *rev_mark(const struct rev_word *w, const struct ui_glyphs *g)
{
	return w->mark == 0 ? g->ok : w->mark == 1 ? g->bad : w->mark == 2 ? g->warn : "-";
}

/* The revocation sources that spoke about certificate i: CRL, stapled OCSP, queried OCSP;
 * good ones as a mark, the others with their word. */
static void revocation_marks(struct ui_line *ln, const struct tls_report *r, size_t i,
			     const struct ui_glyphs *g)
{
	if (i >= r->revocation.n_certs || !r->revocation.certs)
		return;
	const struct tls_cert_revocation *c = &r->revocation.certs[i];
	const struct {
		const char *label;
		enum tls_rev_state st;
	} src[] = {{"CRL", c->crl}, {"staple", c->ocsp_stapled}, {"OCSP", c->ocsp_queried}};

	for (size_t k = 0; k < sizeof(src) / sizeof(src[0]); k++) {
		if (src[k].st == REV_NONE)
			continue;
		const struct rev_word *w = rev_word(src[k].st);
		if (src[k].st == REV_GOOD)
			line_addf(ln, w->st, " %s%s", rev_mark(w, g), src[k].label);
		else
			line_addf(ln, w->st, " %s%s:%s", rev_mark(w, g), src[k].label, w->word);
	}
}

void view_cert_revocation(struct ui_lines *L, const struct tls_report *r, size_t i, int width,
			  const struct ui_glyphs *g)
{
	const struct tls_revocation_facts *f = &r->revocation;
	const struct tls_cert_revocation *c = i < f->n_certs && f->certs ? &f->certs[i] : NULL;
	const struct {
		const char *label;
		enum tls_rev_state st;
	} src[] = {{"CRL", c ? c->crl : REV_NONE},
		   {"stapled OCSP", c ? c->ocsp_stapled : REV_NONE},
		   {"queried OCSP", c ? c->ocsp_queried : REV_NONE}};
	char buf[64];

	lines_blank(L);
	lines_text_line(L, ST_FRAME, -1, "Revocation");
	for (size_t k = 0; k < sizeof(src) / sizeof(src[0]); k++) {
		const struct rev_word *w = rev_word(src[k].st);
		struct ui_line *ln = lines_add(L, -1);
		line_addf(ln, ST_DIM, "%-13s", src[k].label);
		line_addf(ln, w->st, "%s %s", rev_mark(w, g), w->word);
	}
	if (c && c->ocsp_url)
		view_detail_row(L, "responder", c->ocsp_url, true, ST_NORMAL, width);
	if (c && c->ocsp_error)
		view_detail_row(L, "OCSP error", c->ocsp_error, true, ST_WARN, width);
	if (i != 0)
		return;
	/* The staple is about the leaf. */
	const struct {
		const char *label;
		long long t;
	} times[] = {{"produced", f->staple_produced},
		     {"this update", f->staple_this_update},
		     {"next update", f->staple_next_update},
		     {"revoked at", f->staple_revoked_at}};
	if (f->staple)
		for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
			if (times[k].t < 0)
				continue;
			util_iso_time(times[k].t, buf, sizeof(buf));
			view_detail_row(L, times[k].label, buf, false,
					k == 3 ? ST_ERROR : ST_NORMAL, width);
		}
	if (f->staple_error)
		view_detail_row(L, "staple error", f->staple_error, true, ST_ERROR, width);
	if (f->must_staple)
		view_detail_row(L, "must-staple", "yes (TLS feature status_request)", false,
				ST_NORMAL, width);
}

void view_chain(struct ui_lines *L, const struct tls_report *r, const struct ui_glyphs *g)
{
	/* Index, CN, the marks in columns (they are what the eye looks for), issuer, expiry. */
	for (size_t i = 0; i < r->n_chain; i++) {
		const struct tls_cert_info *c = &r->chain[i];
		struct ui_line *ln = lines_add(L, (int)i);
		char *cn = view_common_name(c->subject), *issuer = view_common_name(c->issuer);
		char until[32];

		util_iso_time(c->not_after, until, sizeof(until));
		until[10] = '\0';
		line_addf(ln, ST_DIM, "%zu ", i);
		cn_column(ln, cn, 22, g);
		for (size_t k = 0; k < sizeof(chain_checks) / sizeof(chain_checks[0]); k++) {
			const struct chain_check *ck = &chain_checks[k];
			if (ck->leaf_only && (i != 0 || !r->verification.hostname.checked)) {
				if (ck->leaf_only && r->verification.hostname.checked)
					line_addf(ln, ST_NORMAL, "%*s",
						  1 + 1 + (int)strlen(ck->label),
						  ""); /* keeps the columns */
				continue;
			}
			int res = check_result(ck, c);
			if (!r->verification.done && res == 3)
				line_addf(ln, ST_DIM, " %s%s", g->ellipsis, ck->label);
			else if (res == 3)
				line_addf(ln, ST_OK, " %s%s", g->ok, ck->label);
			else
				line_addf(ln, view_severity_style((enum tls_severity)res), " %s%s",
					  severity_mark((enum tls_severity)res, g), ck->label);
		}
		revocation_marks(ln, r, i, g);
		line_addf(ln, ST_DIM, "  by ");
		line_add_safe(ln, ST_NORMAL, issuer);
		line_addf(ln, ST_DIM, "  until %s", until);
		free(cn);
		free(issuer);
	}
}

void view_findings(struct ui_lines *L, const struct tls_report *r, const struct ui_glyphs *g)
{
	static const char *const words[] = {
		[SEV_ERROR] = "error", [SEV_WARNING] = "warning", [SEV_INFO] = "info"};

	for (size_t i = 0; i < r->n_findings; i++) {
		const struct tls_finding *f = &r->findings[i];
		struct ui_line *ln = lines_add(L, (int)i);
		enum ui_style st = view_severity_style(f->severity);

		line_addf(ln, st, "%s %-7s %-26s ", severity_mark(f->severity, g),
			  words[f->severity], f->id);
		line_add_safe(ln, ST_NORMAL, f->title);
	}
}

/* What to press in the TUI to act on a finding (the catalog's fixes speak of files and
 * options): the catalog's key hint. */
const char *view_finding_key_hint(const char *id)
{
	const struct diag_entry *e = diagnose_lookup(id);
	return e ? e->key_hint : NULL;
}

void view_finding_detail(struct ui_lines *L, const struct tls_finding *f, int width, bool keys)
{
	lines_wrap(L, ST_NORMAL, -1, "", f->detail, true, width);
	lines_wrap(L, ST_OK, -1, "Fix: ", f->fix, true, width);
	const char *hint = keys ? view_finding_key_hint(f->id) : NULL;
	if (hint)
		lines_wrap(L, ST_KEY, -1, "Here: ", hint, false, width);
}

void view_detail_row(struct ui_lines *L, const char *label, const char *value, bool untrusted,
		     enum ui_style st, int width)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%-13s", label);
	lines_wrap(L, st, -1, prefix, value ? value : "-", untrusted, width);
}

static void detail_list(struct ui_lines *L, const char *label, const struct strlist *l, int width)
{
	if (!l->n) {
		view_detail_row(L, label, "(none)", false, ST_DIM, width);
		return;
	}
	for (size_t i = 0; i < l->n; i++)
		view_detail_row(L, i ? "" : label, l->v[i], true, ST_NORMAL, width);
}

static char *hex_colons(const unsigned char *b, size_t n)
{
	char *out = xmalloc(n * 3 + 1);

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		sprintf(out + strlen(out), i ? ":%02x" : "%02x", b[i]);
	return out;
}

/* The key identifiers, the SPKI pin (RFC 7469: base64 of SHA-256 over the DER
 * SubjectPublicKeyInfo, the form curl --pinnedpubkey takes) and the SHA-1 fingerprint,
 * computed from the certificate's DER. */
static void cert_ids(struct ui_lines *L, const struct tls_cert_info *c, int width)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = {c->der, (unsigned)c->der_len}, spki = {0}, b64 = {0};
	unsigned char id[64], sha[32];
	size_t len = sizeof(id);
	unsigned crit = 0;

	if (!c->der || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	char *v = gnutls_x509_crt_get_subject_key_id(crt, id, &len, &crit) == 0
			  ? hex_colons(id, len)
			  : xstrdup("(absent)");
	view_detail_row(L, "SKI", v, false, ST_NORMAL, width);
	free(v);
	len = sizeof(id);
	v = gnutls_x509_crt_get_authority_key_id(crt, id, &len, &crit) == 0 ? hex_colons(id, len)
									    : xstrdup("(absent)");
	view_detail_row(L, "AKI", v, false, ST_NORMAL, width);
	free(v);
	if (gnutls_pubkey_init(&pub) == 0 && gnutls_pubkey_import_x509(pub, crt, 0) == 0 &&
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) == 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, sha) == 0) {
		gnutls_datum_t d = {sha, sizeof(sha)};
		if (gnutls_base64_encode2(&d, &b64) == 0) {
			v = xasprintf("pin-sha256:%.*s", (int)b64.size, (const char *)b64.data);
			view_detail_row(L, "SPKI pin", v, false, ST_NORMAL, width);
			free(v);
		}
	}
	len = 20;
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA1, id, &len) == 0) {
		v = hex_colons(id, len);
		view_detail_row(L, "SHA-1", v, false, ST_NORMAL, width);
		free(v);
	}
out:
	gnutls_free(spki.data);
	gnutls_free(b64.data);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
}

void view_cert_detail(struct ui_lines *L, const struct tls_cert_info *c, int width,
		      const struct ui_glyphs *g)
{
	char buf[160], from[32], to[32];

	view_detail_row(L, "subject", c->subject, true, ST_TITLE, width);
	view_detail_row(L, "issuer", c->issuer, true, ST_NORMAL, width);
	detail_list(L, "SAN", &c->san, width);
	view_detail_row(L, "serial hex", c->serial_hex, true, ST_NORMAL, width);
	view_detail_row(L, "serial dec", c->serial_dec, true, ST_NORMAL, width);
	util_iso_time(c->not_before, from, sizeof(from));
	util_iso_time(c->not_after, to, sizeof(to));
	view_detail_row(L, "not before", from, false, ST_NORMAL, width);
	view_detail_row(L, "not after", to, false, ST_NORMAL, width);
	snprintf(buf, sizeof(buf), "%s %u bits%s%s", c->key_algorithm ? c->key_algorithm : "?",
		 c->key_bits, c->key_curve ? ", " : "", c->key_curve ? c->key_curve : "");
	view_detail_row(L, "key", buf, true, ST_NORMAL, width);
	view_detail_row(L, "signature", c->signature_algorithm, true,
			c->sign_secure ? ST_NORMAL : ST_ERROR, width);
	snprintf(buf, sizeof(buf), "X.509 v%d%s%s", c->version,
		 c->self_signed ? ", self-signed" : "",
		 c->has_aia_ca_issuers ? ", names its issuer's URL (AIA)" : "");
	view_detail_row(L, "version", buf, false, ST_NORMAL, width);
	if (c->has_basic_constraints) {
		if (c->is_ca && c->path_len >= 0)
			snprintf(buf, sizeof(buf), "CA:TRUE, path length %d", c->path_len);
		else
			snprintf(buf, sizeof(buf), "CA:%s", c->is_ca ? "TRUE" : "FALSE");
	} else {
		snprintf(buf, sizeof(buf), "(absent)");
	}
	view_detail_row(L, "basic constr", buf, false, ST_NORMAL, width);
	if (c->has_key_usage)
		detail_list(L, "key usage", &c->key_usage, width);
	else
		view_detail_row(L, "key usage", "(absent: any)", false, ST_DIM, width);
	if (c->has_eku)
		detail_list(L, "ext key use", &c->eku, width);
	else
		view_detail_row(L, "ext key use", "(absent: any)", false, ST_DIM, width);
	view_detail_row(L, "SHA-256", c->sha256, false, ST_NORMAL, width);
	cert_ids(L, c, width);
	lines_blank(L);
	if (!c->status.n) {
		lines_text_line(L, ST_OK, -1, "%s no problem found on this certificate", g->ok);
		return;
	}
	for (size_t i = 0; i < c->status.n; i++) {
		const struct diag_entry *e = diagnose_lookup(c->status.v[i]);
		struct ui_line *ln = lines_add(L, -1);
		enum tls_severity sev = e ? e->severity : SEV_ERROR;
		line_addf(ln, view_severity_style(sev), "%s %s", severity_mark(sev, g),
			  c->status.v[i]);
		if (e)
			line_addf(ln, ST_NORMAL, "  %s", e->title);
	}
}

/* The serial in a listen row: a short one in hex and decimal, a long one's start elided (the
 * selected connection's pane shows it whole). */
static char *serial_short(const struct tls_cert_info *c, const struct ui_glyphs *g)
{
	const char *hex = c->serial_hex ? c->serial_hex : "?",
		   *dec = c->serial_dec ? c->serial_dec : "?";

	if (strlen(hex) <= 8)
		return xasprintf("0x%s=%s", hex, dec);
	return xasprintf("0x%.6s%s", hex, g->ellipsis);
}

/* Text cut to width with an ellipsis, padded to width. */
static void fit_column(struct ui_line *ln, enum ui_style st, const char *text, int width,
		       const struct ui_glyphs *g)
{
	int w = text_width(text);

	if (width <= 0)
		return;
	if (w > width) {
		size_t fit = text_fit(text, width - 1);
		line_addf(ln, st, "%.*s%s", (int)fit, text, g->ellipsis);
		w = text_width(ln->seg[ln->n - 1].text);
	} else {
		line_addf(ln, st, "%s", text);
	}
	if (width > w)
		line_addf(ln, ST_NORMAL, "%*s", width - w, "");
}

void view_listen_row(struct ui_lines *L, const struct tls_report *r, long long when, int tag,
		     int width, const struct ui_glyphs *g)
{
	struct ui_line *ln = lines_add(L, tag);
	time_t t = (time_t)when;
	struct tm tm;
	char hms[16];

	/* Time, peer and version on the left; the verdict with the first error's id whole on the
	 * right; the client certificate's CN and serial share what is left. */
	strftime(hms, sizeof(hms), "%H:%M:%S", localtime_r(&t, &tm));
	line_addf(ln, ST_DIM, "%s ", hms);
	char *peer = textsafe_escape(r->listen.peer_address ? r->listen.peer_address : "-",
				     strlen(r->listen.peer_address ? r->listen.peer_address : "-"));
	int pw = text_width(peer) > 15 ? text_width(peer) : 15;
	fit_column(ln, ST_NORMAL, peer, pw, g);
	free(peer);
	line_addf(ln, ST_NORMAL, " %-7s ",
		  r->negotiated.version ? r->negotiated.version
					: names_hs_status(r->handshake.status));
	int used = 9 + pw + 9;

	const struct tls_finding *err = NULL;
	size_t n_err = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == SEV_ERROR && !n_err++)
			err = &r->findings[i];
	char *verdict;
	if (r->verdict_ok)
		verdict = xasprintf("%s OK", g->ok);
	else if (err)
		verdict = n_err > 1 ? xasprintf("%s %s +%zu", g->bad, err->id, n_err - 1)
				    : xasprintf("%s %s", g->bad, err->id);
	else
		verdict = xasprintf("%s FAIL", g->bad);
	int rest = width - used - text_width(verdict) - 1;

	char *cn = r->n_chain ? view_common_name(r->chain[0].subject) : xstrdup("(no cert)");
	char *safe = textsafe_escape(cn, strlen(cn));
	char *serial = r->n_chain ? serial_short(&r->chain[0], g) : xstrdup("");
	int sw = text_width(serial);
	int cw = rest - (sw ? sw + 1 : 0);
	if (cw < 8) { /* too narrow for both: the name first */
		cw = rest;
		sw = 0;
	}
	fit_column(ln, r->n_chain ? ST_TITLE : ST_DIM, safe, cw, g);
	if (sw) {
		line_addf(ln, ST_NORMAL, " ");
		line_addf(ln, r->listen.serial_matched ? ST_OK : ST_DIM, "%s", serial);
	}
	line_addf(ln, ST_NORMAL, " ");
	line_addf(ln, r->verdict_ok ? ST_OK : ST_ERROR, "%s", verdict);
	if (r->verdict_ok && r->n_findings)
		line_addf(ln, ST_WARN, " %zu note%s", r->n_findings, r->n_findings == 1 ? "" : "s");
	free(verdict);
	free(cn);
	free(safe);
	free(serial);
}

void view_listen_selected(struct ui_lines *L, const struct tls_report *r, int width,
			  const struct ui_glyphs *g)
{
	struct ui_line *ln;

	ln = lines_add(L, -1);
	line_addf(ln, ST_DIM, "peer ");
	line_add_safe(ln, ST_NORMAL, r->listen.peer_address);
	bool ok = r->handshake.status == HS_COMPLETE;
	line_addf(ln, ok ? ST_NORMAL : ST_ERROR, "   handshake %s",
		  names_hs_status(r->handshake.status));
	if (r->negotiated.present) {
		line_addf(ln, ST_NORMAL, "  ");
		line_add_safe(ln, ST_NORMAL, r->negotiated.version);
		line_addf(ln, ST_NORMAL, " ");
		line_add_safe(ln, ST_DIM, r->negotiated.cipher_suite);
	}
	if (r->handshake.error)
		lines_wrap(L, ST_ERROR, -1, "error  ", r->handshake.error, true, width);
	if (r->n_chain) {
		const struct tls_cert_info *c = &r->chain[0];
		char *v = xasprintf("hex %s  dec %s%s%s", c->serial_hex ? c->serial_hex : "?",
				    c->serial_dec ? c->serial_dec : "?",
				    r->listen.serial_matched ? "  matched --allow-serial as " : "",
				    r->listen.serial_matched ? r->listen.serial_form : "");
		lines_wrap(L, ST_NORMAL, -1, "serial ", v, true, width);
		free(v);
	}
	lines_text_line(L, ST_FRAME, -1, "Client certificate chain (%zu)", r->n_chain);
	if (!r->n_chain)
		lines_text_line(L, ST_DIM, -1, "(no client certificate)");
	view_chain(L, r, g);
	lines_text_line(L, ST_FRAME, -1, "Findings (%zu)", r->n_findings);
	if (!r->n_findings)
		lines_text_line(L, r->verdict_ok ? ST_OK : ST_ERROR, -1, "%s",
				r->verdict_ok ? "no problem found" : "no diagnosis");
	view_findings(L, r, g);
	if (r->n_findings)
		view_finding_detail(L, &r->findings[0], width - 2, false);
	if (r->n_chain) {
		lines_text_line(L, ST_FRAME, -1,
				"Servers (how each would judge this client chain)");
		view_verdicts(L, r, width, g);
	}
}

void view_verdicts(struct ui_lines *L, const struct tls_report *r, int width,
		   const struct ui_glyphs *g)
{
	struct profile_set set = {0};
	enum profile_side side = r->mode == TLS_MODE_LISTEN ? PROFILE_SERVERS : PROFILE_CLIENTS;

	if (!r->n_chain) {
		lines_wrap(
			L, ST_DIM, -1, "",
			side == PROFILE_SERVERS
				? "No client certificate: there is no chain for a server to judge."
				: "The server sent no certificate: there is no chain to judge.",
			false, width);
		return;
	}
	profiles_judge(r, side, &set);
	for (size_t i = 0; i < set.n; i++) {
		const struct profile_verdict *v = &set.v[i];
		struct ui_lines row = {0}, says = {0};
		struct ui_line *ln = lines_add(&row, (int)i);
		line_addf(ln, v->accept ? ST_OK : ST_ERROR, "%s %-6s ", v->accept ? g->ok : g->bad,
			  v->accept ? "accept" : "reject");
		line_addf(ln, ST_TITLE, "%-8s ", v->id);
		line_addf(ln, ST_DIM, "%s", v->name);
		/* The name wraps under itself; the words under the reason, or from the left when
		 * a word of them (a Java class name) is too long for that. */
		lines_fold(L, &row, width, 18);
		for (size_t k = 0; k < v->n_reasons; k++) {
			const struct profile_reason *pr = &v->reasons[k];
			ln = lines_add(&says, (int)i);
			line_addf(ln, ST_DIM, "    says (%s): ", pr->finding);
			line_add_safe(ln, ST_NORMAL, pr->says);
		}
		lines_fold(L, &says, width, 6);
		lines_free(&row);
		lines_free(&says);
	}
	profiles_free(&set);
}
