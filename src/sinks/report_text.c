#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "sinks.h"
#include "sinks/timeline.h"
#include "tlsscope/names.h"
#include "tlsscope/textsafe.h"

/* ANSI SGR sequences by role; empty strings when color is off. */
struct palette {
	const char *head, *good, *bad, *warn, *dim, *off;
};

static const struct palette colors = {"\033[1m",  "\033[32m", "\033[1;31m",
				      "\033[33m", "\033[2m",  "\033[0m"};
static const struct palette plain = {"", "", "", "", "", ""};

struct out {
	FILE *f;
	const struct palette *c;
	bool plain_names; /* timeline: an alert's name not in color */
};

/* Prints untrusted text escaped (certificate fields, alert details, HTTP headers). */
static void put_safe(struct out *o, const char *s)
{
	if (!s) {
		fputs("-", o->f);
		return;
	}
	char *e = textsafe_escape(s, strlen(s));
	fputs(e, o->f);
	free(e);
}

static void section(struct out *o, const char *title)
{
	fprintf(o->f, "\n%s%s%s\n", o->c->head, title, o->c->off);
}

static void field(struct out *o, const char *label, const char *value)
{
	fprintf(o->f, "  %-16s", label);
	put_safe(o, value);
	fputc('\n', o->f);
}

static void list_field(struct out *o, const char *label, const struct strlist *l)
{
	fprintf(o->f, "  %-16s", label);
	if (!l->n)
		fputs("-", o->f);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", o->f);
		put_safe(o, l->v[i]);
	}
	fputc('\n', o->f);
}

static void print_ms(struct out *o, const char *label, double ms, bool *first)
{
	if (ms < 0)
		return;
	fprintf(o->f, "%s%s %.1f ms", *first ? "" : ", ", label, ms);
	*first = false;
}

static void print_target(struct out *o, const struct tls_report *r)
{
	char port[16];
	bool first = true;

	section(o, "Target");
	snprintf(port, sizeof(port), "%u", r->target.port);
	fprintf(o->f, "  %-16s", "host");
	put_safe(o, r->target.host);
	fprintf(o->f, " port %s", port);
	if (r->target.address) {
		fputs(" (", o->f);
		put_safe(o, r->target.address);
		fputc(')', o->f);
	}
	fputc('\n', o->f);
	field(o, "SNI", r->target.sni ? r->target.sni : "(none)");
	field(o, "verify name", r->target.verify_name);
	if (r->starttls.protocol)
		field(o, "STARTTLS", r->starttls.protocol);
	if (r->proxy.url) {
		char *v = xasprintf("%s, %s%s%s", r->proxy.url, r->proxy.kind,
				    r->proxy.address ? " at " : "",
				    r->proxy.address ? r->proxy.address : "");
		field(o, "proxy", v);
		free(v);
	}
	fprintf(o->f, "  %-16s", "timing");
	print_ms(o, "resolve", r->timing.resolve_ms, &first);
	print_ms(o, "connect", r->timing.connect_ms, &first);
	print_ms(o, "handshake", r->timing.handshake_ms, &first);
	print_ms(o, "total", r->timing.total_ms, &first);
	fputc('\n', o->f);
}

/* timeline_step's parts, colored by role. */
static void put_step_part(void *ctx, enum timeline_part part, const struct tls_step *s,
			  const char *text)
{
	struct out *o = ctx;
	bool alert = s->type == STEP_ALERT && !o->plain_names;

	switch (part) {
	case TL_TIME:
		fprintf(o->f, "%s%s%s", o->c->dim, text, o->c->off);
		break;
	case TL_NAME:
		fprintf(o->f, "%s%s%s", alert ? o->c->bad : "", text, alert ? o->c->off : "");
		break;
	case TL_MARK:
		fprintf(o->f, "%s%s%s", o->c->bad, text, o->c->off);
		break;
	case TL_DETAIL:
		put_safe(o, text);
		break;
	default:
		fputs(text, o->f);
		break;
	}
}

static void print_step(struct out *o, const struct tls_step *s, const struct timeline_layout *lay)
{
	timeline_step(s, lay, put_step_part, o);
	fputc('\n', o->f);
}

static void print_timeline(struct out *o, const struct tls_report *r)
{
	section(o, "Timeline");
	if (!r->handshake.n_steps)
		fprintf(o->f, "  %s(no TLS message was exchanged)%s\n", o->c->dim, o->c->off);
	for (size_t i = 0; i < r->handshake.n_steps; i++)
		print_step(o, &r->handshake.steps[i], &timeline_text_layout);
	fprintf(o->f, "  %-16s%s", "status",
		r->handshake.status == HS_COMPLETE ? o->c->good : o->c->bad);
	fputs(names_hs_status(r->handshake.status), o->f);
	fputs(o->c->off, o->f);
	if (r->handshake.error) {
		fputs(": ", o->f);
		put_safe(o, r->handshake.error);
	}
	fputc('\n', o->f);
}

static void print_negotiated(struct out *o, const struct tls_report *r)
{
	const struct tls_negotiated *n = &r->negotiated;

	if (!n->present)
		return;
	section(o, "Negotiated");
	field(o, "version", n->version);
	field(o, "cipher suite", n->cipher_suite);
	field(o, "group", n->group);
	field(o, "signature", n->signature);
	field(o, "ALPN", n->alpn ? n->alpn : "(none)");
	fprintf(o->f, "  %-16sEMS %s, OCSP staple %s, resumed %s\n", "extras",
		n->extended_master_secret ? "yes" : "no", n->ocsp_stapled ? "yes" : "no",
		n->resumed ? "yes" : "no");
}

static void print_cert(struct out *o, const struct tls_cert_info *ci, const char *label)
{
	char from[32], to[32];

	fprintf(o->f, "  %s[%s]%s ", o->c->head, label, o->c->off);
	put_safe(o, ci->subject);
	fputc('\n', o->f);
	fprintf(o->f, "    %-12s", "issuer");
	put_safe(o, ci->issuer);
	fprintf(o->f, "\n    %-12s%s (decimal %s)\n", "serial", ci->serial_hex, ci->serial_dec);
	util_iso_time(ci->not_before, from, sizeof(from));
	util_iso_time(ci->not_after, to, sizeof(to));
	fprintf(o->f, "    %-12s%s .. %s\n", "valid", from, to);
	fprintf(o->f, "    %-12s", "SAN");
	if (!ci->san.n)
		fprintf(o->f, "%s(none)%s", o->c->warn, o->c->off);
	for (size_t i = 0; i < ci->san.n; i++) {
		if (i)
			fputs(", ", o->f);
		put_safe(o, ci->san.v[i]);
	}
	fprintf(o->f, "\n    %-12s%s %u", "key", ci->key_algorithm, ci->key_bits);
	if (ci->key_curve) {
		fputs(" (", o->f);
		put_safe(o, ci->key_curve);
		fputc(')', o->f);
	}
	fprintf(o->f, ", signed with ");
	put_safe(o, ci->signature_algorithm);
	fprintf(o->f, ", X.509 v%d%s%s\n", ci->version, ci->is_ca ? ", CA" : "",
		ci->self_signed ? ", self-signed" : "");
	if (ci->key_usage.n || ci->eku.n) {
		fprintf(o->f, "    %-12s", "usage");
		for (size_t i = 0; i < ci->key_usage.n; i++)
			fprintf(o->f, "%s%s", i ? ", " : "", ci->key_usage.v[i]);
		if (ci->eku.n)
			fprintf(o->f, "%sEKU ", ci->key_usage.n ? "; " : "");
		for (size_t i = 0; i < ci->eku.n; i++) {
			if (i)
				fputs(", ", o->f);
			put_safe(o, ci->eku.v[i]);
		}
		fputc('\n', o->f);
	}
	fprintf(o->f, "    %-12s%s\n", "sha256", ci->sha256);
	if (ci->status.n) {
		fprintf(o->f, "    %-12s%s", "problems", o->c->bad);
		for (size_t i = 0; i < ci->status.n; i++)
			fprintf(o->f, "%s%s", i ? ", " : "", ci->status.v[i]);
		fprintf(o->f, "%s\n", o->c->off);
	}
}

static void print_chain(struct out *o, const struct tls_report *r)
{
	char label[24];

	if (!r->n_chain)
		return;
	section(o, r->mode == TLS_MODE_LISTEN ? "Client chain" : "Server chain");
	for (size_t i = 0; i < r->n_chain; i++) {
		snprintf(label, sizeof(label), "%zu", i);
		print_cert(o, &r->chain[i], label);
	}
	/* --fetch-intermediates: what AIA caIssuers gave above the sent chain. */
	for (size_t i = 0; i < r->aia.n_certs; i++) {
		snprintf(label, sizeof(label), "%zu fetched", r->n_chain + i);
		print_cert(o, &r->aia.certs[i].info, label);
		fprintf(o->f, "    %-12s", "from");
		put_safe(o, r->aia.certs[i].url);
		fprintf(o->f, " (%s)\n", r->aia.certs[i].format);
	}
	if (r->aia.attempted && r->aia.error) {
		fprintf(o->f, "  %-16s%s", "AIA fetch", o->c->warn);
		put_safe(o, r->aia.error);
		fprintf(o->f, "%s\n", o->c->off);
	}
}

static void print_verification(struct out *o, const struct tls_report *r)
{
	const struct tls_verification *v = &r->verification;

	if (!v->done)
		return;
	section(o, "Verification");
	fprintf(o->f, "  %-16s%s%s%s", "trusted", v->trusted ? o->c->good : o->c->bad,
		v->trusted ? "yes" : "NO", o->c->off);
	if (v->trust_source)
		fprintf(o->f, " (anchor from %s)",
			strcmp(v->trust_source, "system") == 0 ? "the system store" : "--ca");
	fputc('\n', o->f);
	if (v->reasons.n)
		list_field(o, "reasons", &v->reasons);
	if (v->hostname.checked) {
		fprintf(o->f, "  %-16s", "hostname");
		put_safe(o, v->hostname.name);
		if (v->hostname.match)
			fprintf(o->f, " %smatches%s (by %s)\n", o->c->good, o->c->off,
				strcmp(v->hostname.matched_by, "ip") == 0    ? "IP address SAN"
				: strcmp(v->hostname.matched_by, "san") == 0 ? "DNS name SAN"
									     : "subject CN");
		else
			fprintf(o->f, " %sDOES NOT MATCH%s\n", o->c->bad, o->c->off);
	}
}

/* ---- revocation: one line per certificate some source spoke about ---- */

static const char *rev_word(enum tls_rev_state st)
{
	static const char *const words[] = {
		[REV_NONE] = "-",
		[REV_GOOD] = "good",
		[REV_REVOKED] = "REVOKED",
		[REV_EXPIRED] = "expired CRL",
		[REV_UNKNOWN] = "unknown",
		[REV_INVALID] = "INVALID",
		[REV_UNREACHABLE] = "unreachable",
	};
	return words[st];
}

static void print_revocation(struct out *o, const struct tls_report *r)
{
	const struct tls_revocation_facts *f = &r->revocation;
	bool any = false;

	for (size_t i = 0; i < f->n_certs && i < r->n_chain; i++) {
		const struct tls_cert_revocation *c = &f->certs[i];
		if (c->crl == REV_NONE && c->ocsp_stapled == REV_NONE &&
		    c->ocsp_queried == REV_NONE)
			continue;
		if (!any)
			section(o, "Revocation");
		any = true;
		fprintf(o->f, "  #%-15zucrl %s, OCSP staple %s, OCSP query %s\n", i,
			rev_word(c->crl), rev_word(c->ocsp_stapled), rev_word(c->ocsp_queried));
	}
	if (f->staple) {
		char a[32] = "-", b[32] = "-";
		if (f->staple_this_update >= 0)
			util_iso_time(f->staple_this_update, a, sizeof(a));
		if (f->staple_next_update >= 0)
			util_iso_time(f->staple_next_update, b, sizeof(b));
		fprintf(o->f, "  %-16sthis update %s, next update %s\n", "staple", a, b);
	}
}

static void print_client_auth(struct out *o, const struct tls_report *r)
{
	const struct tls_client_auth *ca = &r->client_auth;

	if (!ca->requested && !ca->loaded)
		return;
	section(o, "Client certificate");
	field(o, "requested", ca->requested ? "yes" : "no");
	if (ca->requested)
		list_field(o, "acceptable CAs", &ca->acceptable_cas);
	if (ca->requested_sigalgs.n || ca->requested_key_types.n) {
		list_field(o, "signatures", &ca->requested_sigalgs);
		list_field(o, "key types", &ca->requested_key_types);
	}
	field(o, "sent", ca->sent ? "yes" : "no");
	if (ca->certificate)
		print_cert(o, ca->certificate, "sent");
}

/* The body's first lines as lines: it is kept escaped (a CR LF reads "\x0d\x0a"), and one
 * long line of escapes is hard to read. Empty lines are left out. */
static void body_lines(struct out *o, const char *body)
{
	static const char *const ends[] = {"\\x0d\\x0a", "\\x0a", "\\x0d"};
	const char *p = body;
	bool first = true;

	while (*p) {
		const char *cut = NULL;
		size_t skip = 0;
		for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
			const char *e = strstr(p, ends[i]);
			if (e && (!cut || e < cut)) {
				cut = e;
				skip = strlen(ends[i]);
			}
		}
		size_t n = cut ? (size_t)(cut - p) : strlen(p);
		if (n) {
			char *line = xstrndup(p, n);
			field(o, first ? "body" : "", line);
			free(line);
			first = false;
		}
		p += n + skip;
	}
}

static void print_http(struct out *o, const struct tls_report *r)
{
	const struct tls_http *h = &r->http;

	if (!h->present)
		return;
	section(o, "HTTP");
	fprintf(o->f, "  %-16sGET ", "request");
	put_safe(o, h->request_path);
	fputc('\n', o->f);
	if (h->status_line)
		field(o, "status", h->status_line);
	for (size_t i = 0; i < h->headers.n; i++)
		field(o, i == 0 ? "headers" : "", h->headers.v[i]);
	if (h->error)
		field(o, "problem", h->error);
	if (h->body_head)
		body_lines(o, h->body_head);
}

/* The STARTTLS protocol's first request after the handshake, as HTTP is above. */
static void print_application(struct out *o, const struct tls_report *r)
{
	const struct tls_application *a = &r->application;

	if (!a->present)
		return;
	section(o, "Application (after STARTTLS)");
	field(o, "protocol", a->protocol);
	if (a->answer)
		field(o, "answer", a->answer);
	if (a->error)
		field(o, "problem", a->error);
}

static void print_resumption(struct out *o, const struct tls_report *r)
{
	const struct tls_report *s = r->resumption;

	if (r->keylog_path) {
		section(o, "Key log");
		field(o, "appended to", r->keylog_path);
	}
	if (!s)
		return;
	section(o, "Resumption (second connection)");
	/* As the first connection's lines, without the failure mark or the alert's color. */
	struct timeline_layout lay = timeline_text_layout;
	lay.no_mark = true;
	struct out plain_names = {.f = o->f, .c = o->c, .plain_names = true};
	for (size_t i = 0; i < s->handshake.n_steps; i++)
		print_step(&plain_names, &s->handshake.steps[i], &lay);
	bool resumed = s->negotiated.present && s->negotiated.resumed;
	fprintf(o->f, "  %-16s%s%s%s", "resumed", resumed ? o->c->good : o->c->bad,
		resumed ? "yes" : "NO", o->c->off);
	if (s->handshake.error) {
		fputs(" (", o->f);
		put_safe(o, s->handshake.error);
		fputc(')', o->f);
	}
	fputc('\n', o->f);
}

/* One line per peer profile: verdict, then the words of its first reason. */
static void print_peers(struct out *o, const struct tls_report *r, enum profile_side side)
{
	struct profile_set set = {0};

	profiles_judge(r, side, &set);
	section(o, side == PROFILE_CLIENTS ? "Clients (how each would judge this chain)"
					   : "Servers (how each would judge this client chain)");
	for (size_t i = 0; i < set.n; i++) {
		const struct profile_verdict *v = &set.v[i];
		fprintf(o->f, "  %-8s %s%-6s%s", v->id, v->accept ? o->c->good : o->c->bad,
			v->accept ? "accept" : "reject", o->c->off);
		if (v->n_reasons) {
			fprintf(o->f, " %s: ", v->reasons[0].finding);
			put_safe(o, v->reasons[0].says);
			if (v->n_reasons > 1)
				fprintf(o->f, " (+%zu more)", v->n_reasons - 1);
		}
		fputc('\n', o->f);
	}
	profiles_free(&set);
}

static void print_findings(struct out *o, const struct tls_report *r)
{
	static const char *const labels[] = {
		[SEV_ERROR] = "ERROR", [SEV_WARNING] = "WARNING", [SEV_INFO] = "INFO"};

	section(o, "Findings");
	if (!r->n_findings)
		fprintf(o->f, "  %snone%s\n", o->c->good, o->c->off);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct tls_finding *f = &r->findings[i];
		const char *col = f->severity == SEV_ERROR     ? o->c->bad
				  : f->severity == SEV_WARNING ? o->c->warn
							       : o->c->dim;
		fprintf(o->f, "  %s%-7s %s%s  ", col, labels[f->severity], f->id, o->c->off);
		put_safe(o, f->title);
		fputs("\n          ", o->f);
		put_safe(o, f->detail);
		fputs("\n          fix: ", o->f);
		put_safe(o, f->fix);
		fputc('\n', o->f);
	}
}

void report_text_print(FILE *f, const struct tls_report *r, bool color)
{
	struct out o = {.f = f, .c = color ? &colors : &plain};

	fprintf(f, "%stlsscope %s%s  %s ", o.c->head, TLSSCOPE_VERSION, o.c->off,
		r->mode == TLS_MODE_LISTEN ? "listen" : "connect");
	put_safe(&o, r->target.host);
	fprintf(f, ":%u\n", r->target.port);
	print_target(&o, r);
	print_timeline(&o, r);
	print_negotiated(&o, r);
	print_chain(&o, r);
	print_verification(&o, r);
	print_revocation(&o, r);
	print_client_auth(&o, r);
	print_http(&o, r);
	print_application(&o, r);
	print_resumption(&o, r);
	if (r->n_chain || (r->mode == TLS_MODE_CONNECT && profiles_apply(r, PROFILE_CLIENTS)))
		print_peers(&o, r, r->mode == TLS_MODE_LISTEN ? PROFILE_SERVERS : PROFILE_CLIENTS);
	if (r->mode == TLS_MODE_CONNECT && r->client_auth.n_chain)
		print_peers(&o, r, PROFILE_SERVERS);
	print_findings(&o, r);
	fprintf(f, "\n%sVerdict: %s%s\n", r->verdict_ok ? o.c->good : o.c->bad,
		r->verdict_ok ? "OK" : "FAIL", o.c->off);
}

void report_text_line(FILE *f, const struct tls_report *r, bool color, long long at)
{
	struct out o = {.f = f, .c = color ? &colors : &plain};
	char when[32];
	time_t now = at ? (time_t)at : time(NULL);
	struct tm tm;

	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&now, &tm));
	fprintf(f, "%s  ", when);
	put_safe(&o, r->listen.peer_address);
	fprintf(f, "  %s",
		r->negotiated.version ? r->negotiated.version
				      : names_hs_status(r->handshake.status));
	if (r->negotiated.cipher_suite)
		fprintf(f, " %s", r->negotiated.cipher_suite);
	if (r->n_chain) {
		fputs("  client ", f);
		put_safe(&o, r->chain[0].subject);
		fprintf(f, " serial %s (decimal %s)", r->chain[0].serial_hex,
			r->chain[0].serial_dec);
		if (r->listen.serial_matched)
			fprintf(f, " allowed as %s", r->listen.serial_form);
	} else {
		fputs("  no client certificate", f);
	}
	fprintf(f, "  %s%s%s\n", r->verdict_ok ? o.c->good : o.c->bad,
		r->verdict_ok ? "OK" : "FAIL", o.c->off);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct tls_finding *fi = &r->findings[i];
		fprintf(f, "    %s %s: ", names_severity(fi->severity), fi->id);
		put_safe(&o, fi->detail);
		fputc('\n', f);
	}
}

void inspect_text_print(FILE *f, const struct inspect_result *r, bool color)
{
	struct out o = {.f = f, .c = color ? &colors : &plain};
	char label[24];

	section(&o, "Files");
	for (size_t i = 0; i < r->n_files; i++) {
		fprintf(f, "  %-12s", r->files[i].type);
		put_safe(&o, r->files[i].path);
		fputs(": ", f);
		put_safe(&o, r->files[i].detail);
		fputc('\n', f);
	}
	if (r->report.n_chain) {
		section(&o, "Certificates (issuer order)");
		for (size_t i = 0; i < r->report.n_chain; i++) {
			snprintf(label, sizeof(label), "%zu", i);
			print_cert(&o, &r->report.chain[i], label);
		}
		size_t n_open = 0;
		for (size_t i = 0; i < r->n_chains; i++)
			n_open += !r->chains[i].complete;
		if (r->n_chains > 1)
			fprintf(f, "  %-16s%zu leaves, %zu with a path to a self-signed root\n",
				"chains", r->n_chains, r->n_chains - n_open);
		fprintf(f, "  %-16s%s\n", "chain",
			r->chain_complete
				? (r->n_chains > 1 ? "complete: each leaf to a self-signed root"
						   : "complete: leaf to a self-signed root")
				: "not complete (no self-signed root at the top, or "
				  "certificates that do not link)");
		/* The paths that stop short, a few of them: a bundle may hold thousands. */
		for (size_t i = 0, shown = 0; i < r->n_chains && shown < 5; i++) {
			const struct inspect_chain *c = &r->chains[i];
			if (c->complete)
				continue;
			shown++;
			fprintf(f, "  %-16s[%zu] ", "", c->leaf);
			put_safe(&o, r->report.chain[c->leaf].subject);
			fprintf(f, " stops at [%zu], issued by \"", c->top);
			put_safe(&o, r->report.chain[c->top].issuer);
			fputs("\", which is not among the files\n", f);
		}
	}
	if (r->n_keys) {
		section(&o, "Keys");
		for (size_t i = 0; i < r->n_keys; i++) {
			const struct inspect_key *k = &r->keys[i];
			fprintf(f, "  %s %u-bit  ", k->algorithm, k->bits);
			put_safe(&o, k->path);
			if (k->matches_certificate >= 0)
				fprintf(f, "  %smatches certificate %d%s\n", o.c->good,
					k->matches_certificate, o.c->off);
			else
				fprintf(f, "  %smatches none of the certificates%s\n",
					r->report.n_chain ? o.c->bad : "", o.c->off);
		}
	}
	print_verification(&o, &r->report);
	if (r->report.verification.done && r->report.n_chain && r->purpose != PURPOSE_NONE)
		print_peers(&o, &r->report,
			    r->purpose == PURPOSE_CLIENT ? PROFILE_SERVERS : PROFILE_CLIENTS);
	print_findings(&o, &r->report);
	fprintf(f, "\n%sVerdict: %s%s\n", r->report.verdict_ok ? o.c->good : o.c->bad,
		r->report.verdict_ok ? "OK" : "FAIL", o.c->off);
}

void explain_text_print(FILE *f, const struct profile_match *m, size_t n, bool color)
{
	struct out o = {.f = f, .c = color ? &colors : &plain};

	if (!n)
		fputs("Not recognised: no client or server profile prints this message.\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s%s says it: %s%s%s  ", o.c->head, m[i].client, o.c->off, o.c->bad,
			m[i].finding, o.c->off);
		put_safe(&o, m[i].title);
		fputs("\n  ", f);
		put_safe(&o, m[i].detail);
		fputs("\n  fix: ", f);
		put_safe(&o, m[i].fix);
		fputc('\n', f);
	}
}
