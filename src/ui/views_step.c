/* Views of a report as lines: a handshake message's content (Enter on a timeline step), from
 * what the report holds. */
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

/* ---- a handshake message's content, from what the report holds ---- */

static void kv(struct ui_lines *L, const char *label, const char *value, bool untrusted,
	       enum ui_style st, int width)
{
	view_detail_row(L, label, value, untrusted, st, width);
}

/* label, then the list comma-separated ("-" when empty), wrapped under its value column. */
static void join_list(struct ui_lines *L, const char *label, const struct strlist *l, int width)
{
	size_t len = 2;
	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 2;
	char *buf = xmalloc(len);
	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strcat(buf, ", ");
		strcat(buf, l->v[i]);
	}
	kv(L, label, l->n ? buf : "-", true, ST_NORMAL, width);
	free(buf);
}

static void step_certificate_request(struct ui_lines *L, const struct tls_report *r, int width,
				     const struct ui_glyphs *g)
{
	const struct tls_client_auth *ca = &r->client_auth;

	if (r->mode != TLS_MODE_CONNECT) {
		lines_wrap(L, ST_NORMAL, -1, "",
			   "We asked the client for a certificate, naming the CAs of --client-ca.",
			   false, width);
		return;
	}
	lines_text_line(L, ST_TITLE, -1, "Acceptable CA names the server sent (%zu)",
			ca->acceptable_cas.n);
	if (!ca->acceptable_cas.n)
		lines_wrap(L, ST_INFO, -1, "  ", "empty list: any CA (the server names none)",
			   false, width);
	for (size_t i = 0; i < ca->acceptable_cas.n; i++) {
		bool ours = ca->loaded_issuer &&
			    strcmp(ca->loaded_issuer, ca->acceptable_cas.v[i]) == 0;
		char prefix[16];
		snprintf(prefix, sizeof(prefix), "  %s ", ours ? g->ok : g->bullet);
		lines_wrap(L, ours ? ST_OK : ST_NORMAL, -1, prefix, ca->acceptable_cas.v[i], true,
			   width);
	}
	lines_blank(L);
	join_list(L, "signatures", &ca->requested_sigalgs, width);
	join_list(L, "key types", &ca->requested_key_types, width);
	lines_blank(L);
	if (!ca->loaded) {
		lines_wrap(L, ST_WARN, -1,
			   "Identity: ", "none loaded, so none was sent (i loads one)", false,
			   width);
		return;
	}
	kv(L, "our cert", ca->loaded_subject, true, ST_NORMAL, width);
	kv(L, "its issuer", ca->loaded_issuer, true, ST_NORMAL, width);
	bool listed = !ca->acceptable_cas.n;
	for (size_t i = 0; ca->loaded_issuer && i < ca->acceptable_cas.n; i++)
		listed |= strcmp(ca->loaded_issuer, ca->acceptable_cas.v[i]) == 0;
	if (!ca->acceptable_cas.n)
		lines_wrap(L, ST_OK, -1, "",
			   "The server accepts any issuer: the identity qualifies.", false, width);
	else if (listed && !ca->issuer_not_acceptable)
		lines_wrap(L, ST_OK, -1, "",
			   "Its issuer is in the list (by name): the certificate qualifies.", false,
			   width);
	else
		lines_wrap(L, ST_ERROR, -1, "",
			   "Its issuer is NOT in the list (by name): GnuTLS sends an empty "
			   "Certificate unless --force-client-cert.",
			   false, width);
	const char *kt =
		ca->n_chain && ca->chain[0].key_algorithm ? ca->chain[0].key_algorithm : "?";
	char *why =
		xasprintf(ca->key_type_not_accepted
				  ? "Its %s key cannot sign with any of these signatures: GnuTLS "
				    "sends an empty Certificate."
				  : "Its %s key can sign with one of these signatures.",
			  kt);
	if (ca->requested_sigalgs.n)
		lines_wrap(L, ca->key_type_not_accepted ? ST_ERROR : ST_OK, -1, "", why, false,
			   width);
	free(why);
	kv(L, "sent", ca->sent ? "yes" : "no", false, ca->sent ? ST_OK : ST_ERROR, width);
}

static void step_server_hello(struct ui_lines *L, const struct tls_report *r, int width)
{
	const struct tls_negotiated *n = &r->negotiated;

	if (!n->present) {
		lines_wrap(L, ST_DIM, -1, "",
			   "The handshake ended before the parameters were known.", false, width);
		return;
	}
	kv(L, "version", n->version, true, ST_TITLE, width);
	kv(L, "cipher suite", n->cipher_suite, true, ST_NORMAL, width);
	kv(L, "group", n->group, true, ST_NORMAL, width);
	kv(L, "signature", n->signature, true, ST_NORMAL, width);
	kv(L, "ALPN", n->alpn ? n->alpn : "(none agreed)", n->alpn != NULL, ST_NORMAL, width);
	kv(L, "ext. master", n->extended_master_secret ? "yes (RFC 7627)" : "no", false, ST_NORMAL,
	   width);
	kv(L, "resumed", n->resumed ? "yes" : "no (a full handshake)", false, ST_NORMAL, width);
	kv(L, "OCSP staple", n->ocsp_stapled ? "yes" : "no", false, ST_NORMAL, width);
}

static void cert_rows(struct ui_lines *L, const struct tls_cert_info *c, size_t n, int width)
{
	for (size_t i = 0; i < n; i++) {
		char label[40];
		snprintf(label, sizeof(label), "%u subject", (unsigned)(i % 1000));
		kv(L, label, c[i].subject, true, ST_TITLE, width);
		kv(L, "  issuer", c[i].issuer, true, ST_NORMAL, width);
	}
}

static void step_certificate(struct ui_lines *L, const struct tls_report *r,
			     const struct tls_step *s, int width)
{
	/* Received: the peer's chain, in the report. Sent as a client: the identity's leaf. */
	if (s->dir == TLS_DIR_RECEIVED) {
		if (!r->n_chain)
			lines_wrap(L, ST_WARN, -1, "", "It held no certificate (an empty list).",
				   false, width);
		else
			lines_text_line(L, ST_TITLE, -1, "%zu certificate%s, leaf first",
					r->n_chain, r->n_chain == 1 ? "" : "s");
		cert_rows(L, r->chain, r->n_chain, width);
	} else if (r->mode == TLS_MODE_CONNECT && r->client_auth.certificate) {
		lines_text_line(L, ST_TITLE, -1, "Our client certificate");
		cert_rows(L, r->client_auth.certificate, 1, width);
	} else if (r->mode == TLS_MODE_CONNECT) {
		lines_wrap(L, ST_WARN, -1, "",
			   "An empty Certificate message: no client certificate was sent.", false,
			   width);
	} else {
		lines_wrap(L, ST_DIM, -1, "", "Our own certificate (the --cert given to listen).",
			   false, width);
	}
}

static void step_alert(struct ui_lines *L, const struct tls_report *r, const struct tls_step *s,
		       int width)
{
	const struct tls_alert *a =
		s->dir == TLS_DIR_SENT ? &r->handshake.alert_sent : &r->handshake.alert_received;
	char buf[64];

	if (a->present) {
		snprintf(buf, sizeof(buf), "%s (%d)", names_alert_level(a->level), a->level);
		kv(L, "level", buf, false, a->level == 2 ? ST_ERROR : ST_WARN, width);
		snprintf(buf, sizeof(buf), "%d", a->code);
		kv(L, "code", buf, false, ST_NORMAL, width);
		const char *name = names_alert(a->code);
		kv(L, "name", name ? name : "unknown", false, ST_ERROR, width);
	}
	kv(L, "as traced", s->detail, true, ST_DIM, width);
	/* The finding that explains it: the one naming the alert's code, else the first error. */
	const struct tls_finding *f = NULL;
	snprintf(buf, sizeof(buf), "(%d)", a->code);
	for (size_t i = 0; a->present && !f && i < r->n_findings; i++)
		if (r->findings[i].detail && strstr(r->findings[i].detail, buf))
			f = &r->findings[i];
	for (size_t i = 0; !f && i < r->n_findings; i++)
		if (r->findings[i].severity == SEV_ERROR)
			f = &r->findings[i];
	lines_blank(L);
	if (!f) {
		lines_wrap(L, ST_DIM, -1, "", "No finding explains it (yet).", false, width);
		return;
	}
	struct ui_line *ln = lines_add(L, -1);
	line_addf(ln, view_severity_style(f->severity), "Explained by %s", f->id);
	lines_wrap(L, ST_TITLE, -1, "", f->title, true, width);
	view_finding_detail(L, f, width, false);
}

void view_step_detail(struct ui_lines *L, const struct tls_report *r, size_t i, int width,
		      const struct ui_glyphs *g)
{
	const struct tls_step *s = &r->handshake.steps[i];
	struct ui_line *ln = lines_add(L, -1);

	line_addf(ln, ST_DIM, "%+.1f ms, %s%s", s->t_ms,
		  s->dir == TLS_DIR_SENT ? "sent" : "received",
		  s->probe ? " (a follow-up probe)" : "");
	if (s->failure_point)
		line_addf(ln, ST_ERROR, "  %s", g->failed_here);
	lines_blank(L);
	switch (s->probe ? STEP_PROBE : s->type) {
	case STEP_CERTIFICATE_REQUEST:
		step_certificate_request(L, r, width, g);
		break;
	case STEP_SERVER_HELLO:
		step_server_hello(L, r, width);
		break;
	case STEP_CERTIFICATE:
		step_certificate(L, r, s, width);
		break;
	case STEP_ALERT:
		step_alert(L, r, s, width);
		break;
	default:
		if (s->detail)
			lines_wrap(L, ST_NORMAL, -1, "", s->detail, true, width);
		else
			lines_wrap(L, ST_DIM, -1, "",
				   "The report keeps no content for this message.", false, width);
		break;
	}
}
