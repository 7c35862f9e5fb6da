/* The client's report around its connection: what it starts with (the target, the loaded
 * client chain), the facts of the handshake, and after it the read that waits for the
 * server's first record (a TLS 1.3 ticket, an alert, a close) and the one HTTP request (or the
 * STARTTLS protocol's own) with its answer. Each step says what it waits for; client.c does
 * the waiting. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_private.h"
#include "tlsscope/chain.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/revocation.h"
#include "session.h"
#include "tlsscope/http.h"
#include "tlsscope/names.h"
#include "tlsscope/starttls.h"
#include "trace.h"

#define HTTP_MAX_RESPONSE (64 * 1024)

/* ---- the report's facts ---- */

void app_prepare_report(struct tls_client *c)
{
	const struct tls_client_config *cfg = &c->cfg;
	struct tls_report *r = c->rep;
	const char *versions[SESSION_MAX_VERSIONS];
	int nv = r->offered_versions.n ? 0 : session_versions(c->prio, versions);

	for (int i = 0; i < nv; i++)
		strlist_add(&r->offered_versions, versions[i]);
	if (cfg->keylog_path && !r->keylog_path)
		r->keylog_path = xstrdup(cfg->keylog_path);
	if (!r->target.host) {
		r->target.host = xstrdup(cfg->host);
		r->target.port = cfg->port;
		if (!cfg->no_sni) {
			const char *sni = cfg->sni ? cfg->sni : (c->is_ip ? NULL : cfg->host);
			r->target.sni = sni && *sni ? xstrdup(sni) : NULL;
		}
		r->target.verify_name = xstrdup(cfg->verify_name ? cfg->verify_name : cfg->host);
	}
	r->client_auth.loaded = cfg->creds->n_id > 0;
	if (r->client_auth.loaded && !r->client_auth.chain) {
		/* The loaded chain as the server will see it (diagnose_connect checks it). */
		struct tls_report own;
		diagnose_own_chain(cfg->creds, SUBJ_CLIENT_CHAIN, &own);
		r->client_auth.chain = own.chain;
		r->client_auth.n_chain = own.n_chain;
		own.chain = NULL;
		own.n_chain = 0;
		report_free(&own);
		r->client_auth.loaded_subject = xstrdup(r->client_auth.chain[0].subject);
		r->client_auth.loaded_issuer = xstrdup(r->client_auth.chain[0].issuer);
	}
}

/* --starttls, or the protocol the port implies (not "none"). */
int app_starttls_setup(struct tls_client *c, struct tls_error *err)
{
	const char *name = c->cfg.starttls;
	const struct starttls_proto *p = NULL;

	if (name && strcmp(name, "none") == 0)
		return 0;
	p = name ? starttls_find(name) : starttls_by_port(c->cfg.port);
	if (name && !p) {
		tls_error_set(err, "unknown STARTTLS protocol '%s' (known: %s, none)", name,
			      starttls_names());
		return -1;
	}
	if (p)
		c->st = starttls_new(p, c->cfg.sni ? c->cfg.sni : c->cfg.host, c->rep);
	return 0;
}

void app_collect_chain(struct tls_client *c)
{
	unsigned n = 0;
	const gnutls_datum_t *der = gnutls_certificate_get_peers(c->tr.s, &n);
	gnutls_x509_crt_t *crts = NULL;

	if (!der || n == 0 || c->rep->n_chain)
		return;
	gnutls_datum_t staple = {0};
	if (gnutls_ocsp_status_request_get2(c->tr.s, 0, &staple) == 0)
		revocation_keep_staple(c->rep, staple.data, staple.size);
	if (chain_import(der, n, &crts) < 0) {
		strlist_add(&c->rep->verification.reasons, "unreadable-certificate");
		return;
	}
	verify_report(&c->vreq, crts, n, c->rep);
	chain_free(crts, n);
	trace_emit(&c->tr, EV_VERIFIED, NULL);
}

void app_collect_negotiated(struct tls_client *c)
{
	trace_negotiated(&c->tr);

	struct tls_client_auth *ca = &c->rep->client_auth;
	const gnutls_datum_t *ours = gnutls_certificate_get_ours(c->tr.s);
	ca->sent = ours != NULL;
	if (ours && !ca->certificate) {
		gnutls_x509_crt_t *crt;
		if (chain_import(ours, 1, &crt) == 0) {
			ca->certificate = xcalloc(1, sizeof(*ca->certificate));
			chain_describe(crt[0], 0, ca->certificate);
			chain_free(crt, 1);
		}
	}
}

/* The handshake made no progress before the deadline: where it waited, and the chain if one
 * came. */
void app_handshake_timeout(struct tls_client *c)
{
	struct tls_report *r = c->rep;
	const struct tls_step *last =
		r->handshake.n_steps ? &r->handshake.steps[r->handshake.n_steps - 1] : NULL;

	r->handshake.status = HS_TIMEOUT;
	r->timing.handshake_ms = trace_elapsed(&c->tr) - r->timing.connect_ms;
	if (last)
		r->handshake.steps[r->handshake.n_steps - 1].failure_point = true;
	trace_set_error(r, "the handshake made no progress within %.1f s (waiting after %s %s)",
			c->cfg.timeout_s,
			last ? (last->dir == TLS_DIR_SENT ? "sending" : "receiving")
			     : "connecting,",
			last ? names_step(last->type) : "nothing sent");
	trace_emit(&c->tr, EV_HANDSHAKE, NULL);
	app_collect_chain(c);
}

/* ---- after the handshake ---- */

/* The server hung up after the handshake without answering: the evidence of a refusal
 * (diagnose_client_cert), with how long after the handshake it came. */
static void note_closed(struct tls_client *c)
{
	c->rep->handshake.peer_closed = true;
	if (c->handshake_done_ms < 0 || c->resp_len || c->tr.fatal_alert_seen ||
	    c->rep->closed_without_answer)
		return;
	c->rep->closed_without_answer = true;
	c->rep->closed_after_ms = trace_elapsed(&c->tr) - c->handshake_done_ms;
}

static void keep(struct tls_client *c, const char *buf, size_t n)
{
	c->resp = xrealloc(c->resp, c->resp_len + n + 1);
	memcpy(c->resp + c->resp_len, buf, n);
	c->resp_len += n;
	c->resp[c->resp_len] = 0;
}

/* Ports of protocols that speak TLS first but not HTTP (SMTPS, LDAPS, DNS over TLS, IMAPS,
 * POP3S, MQTT, FTPS, SIPS, AMQPS, syslog, IRC): no HTTP request goes there. */
static const unsigned implicit_tls_ports[] = {465, 563, 636,  853,  989,  990,	992,  993,
					      994, 995, 3269, 5061, 5671, 6514, 6697, 8883};

static bool http_fits(const struct tls_client *c)
{
	const char *alpn = c->rep->negotiated.alpn;

	for (size_t i = 0; i < sizeof(implicit_tls_ports) / sizeof(implicit_tls_ports[0]); i++)
		if (c->cfg.port == implicit_tls_ports[i])
			return false;
	return !alpn || strcmp(alpn, "http/1.1") == 0 || strcmp(alpn, "http/1.0") == 0;
}

/* Asked for, or the server asked for a client certificate (many refuse one only at the HTTP
 * layer), unless the port or ALPN says the protocol is another. */
bool app_http_wanted(const struct tls_client *c)
{
	/* After STARTTLS the protocol's own first request follows instead, unless --no-http. */
	if (c->st)
		return c->cfg.http != HTTP_OFF && c->role != ROLE_PROBE && c->role != ROLE_RESUME;
	return c->cfg.http == HTTP_ON ||
	       (c->cfg.http == HTTP_AUTO && c->rep->client_auth.requested && http_fits(c));
}

enum app_next app_post_read(struct tls_client *c)
{
	char buf[4096];
	size_t n;
	int rc;

	switch (session_read(&c->tr, buf, sizeof(buf), &n, &rc)) {
	case SESSION_DATA:
		keep(c, buf, n); /* the server spoke first: the start of any HTTP answer */
		break;
	case SESSION_AGAIN:
		/* Without a request to answer, a refusal is only seen as a close or an alert:
		 * wait for those (or data) within the cap, past the tickets. */
		if (c->ticket_seen && !c->wait_first_record && !c->tr.push_errno)
			break;
		return APP_WAIT_IN;
	case SESSION_EOF:
	case SESSION_TRANSPORT:
		note_closed(c);
		break;
	case SESSION_ALERT:
		break;
	case SESSION_ERROR:
		/* Anything else (a KeyUpdate gone wrong, a rehandshake request) ends the read. */
		trace_set_error(c->rep, "after the handshake: %s", gnutls_strerror(rc));
		break;
	}
	return APP_DONE;
}

/* The user the first request after STARTTLS names (PostgreSQL's startup message, MySQL's
 * login): the client certificate's CN (what clientcert=verify-full compares), else NULL for the
 * protocol's default. */
static const char *starttls_user(struct tls_client *c)
{
	static char cn[128];
	const char *dn = c->rep->client_auth.loaded_subject;
	const char *p = dn ? strstr(dn, "CN=") : NULL;

	if (!p)
		return NULL;
	p += 3;
	size_t n = strcspn(p, ",+");
	if (n >= sizeof(cn))
		n = sizeof(cn) - 1;
	memcpy(cn, p, n);
	cn[n] = 0;
	return cn;
}

void app_http_begin(struct tls_client *c)
{
	const struct tls_client_config *cfg = &c->cfg;
	const char *path = cfg->http_path && *cfg->http_path ? cfg->http_path : "/";
	bool v6 = strchr(cfg->host, ':') != NULL;
	char hostport[300];

	if (c->st && starttls_app_request(c->st, starttls_user(c), &c->req, &c->req_len))
		return;
	if (cfg->port == 443)
		snprintf(hostport, sizeof(hostport), v6 ? "[%s]" : "%s", cfg->host);
	else
		snprintf(hostport, sizeof(hostport), v6 ? "[%s]:%u" : "%s:%u", cfg->host,
			 cfg->port);
	c->rep->http.present = true;
	c->rep->http.request_path = xstrdup(path);
	c->req = xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsscope/%s\r\n"
			   "Accept: */*\r\nConnection: close\r\n\r\n",
			   path, hostport, TLSSCOPE_VERSION);
	c->req_len = strlen(c->req);
}

/* The headers are in, and for a refusal (4xx, 5xx) the first body bytes too: the body often
 * says why ("No required SSL certificate was sent"). 1: complete, 0: not yet, 2: a refusal's
 * headers are in, wait a little for its body. */
static int http_answer_complete(struct tls_client *c)
{
	const char *end = c->resp ? memmem(c->resp, c->resp_len, "\r\n\r\n", 4) : NULL;

	if (c->st)
		return starttls_app_complete(c->st, c->resp, c->resp_len);
	if (!end)
		return 0;
	if (end + 4 < c->resp + c->resp_len || c->resp_len < 13 || c->resp[9] < '4')
		return 1;
	if (!c->body_wait) {
		c->body_wait = true; /* a short wait for the body, not the whole budget */
		return 2;
	}
	return 0;
}

static enum app_next http_send(struct tls_client *c)
{
	while (!c->req_sent) {
		ssize_t n = gnutls_record_send(c->tr.s, c->req, c->req_len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return gnutls_record_get_direction(c->tr.s) ? APP_WAIT_OUT : APP_WAIT_IN;
		if (n < 0) {
			c->rep->http.error = xasprintf("sending the request failed: %s",
						       gnutls_strerror((int)n));
			return APP_DONE;
		}
		c->req_sent = true;
	}
	return APP_BODY_WAIT; /* sent: go on reading */
}

enum app_next app_http_pump(struct tls_client *c)
{
	char buf[4096];
	size_t n;
	int rc;
	enum app_next sent = http_send(c);

	if (sent != APP_BODY_WAIT)
		return sent;
	for (;;) {
		switch (session_read(&c->tr, buf, sizeof(buf), &n, &rc)) {
		case SESSION_DATA: {
			size_t room = HTTP_MAX_RESPONSE - c->resp_len;
			keep(c, buf, n < room ? n : room);
			int done = http_answer_complete(c);
			if (done == 1 || c->resp_len >= HTTP_MAX_RESPONSE)
				return APP_DONE;
			if (done == 2)
				return APP_BODY_WAIT;
			continue;
		}
		case SESSION_AGAIN:
			return APP_WAIT_IN;
		case SESSION_EOF:
			if (!c->resp_len)
				note_closed(c);
			return APP_DONE;
		case SESSION_ALERT:
			c->rep->http.error =
				xstrdup("the server sent an alert instead of a response");
			return APP_DONE;
		case SESSION_TRANSPORT:
			if (rc == GNUTLS_E_PREMATURE_TERMINATION && c->resp_len)
				return APP_DONE; /* closed without close_notify after answering:
						    common and harmless */
			note_closed(c);
			break;
		case SESSION_ERROR:
			break;
		}
		c->rep->http.error =
			xasprintf("reading the response failed: %s", gnutls_strerror(rc));
		return APP_DONE;
	}
}

void app_http_end(struct tls_client *c, bool timeout)
{
	if (timeout && !c->rep->http.error && !c->body_wait)
		c->rep->http.error = xstrdup("no complete HTTP response before the timeout");
	if (c->st) {
		/* The STARTTLS protocol's request, not HTTP: its answer goes to "application". */
		starttls_app_judge(c->st, c->resp, c->resp_len, c->rep->http.error, c->rep);
		free(c->rep->http.error);
		c->rep->http.error = NULL;
		return;
	}
	http_parse_response(c->resp, c->resp_len, &c->rep->http);
	trace_emit(&c->tr, EV_HTTP, NULL);
}
