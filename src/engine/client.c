#include "tlsscope/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsscope/aia.h"
#include "tlsscope/chain.h"
#include "tlsscope/http.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/names.h"
#include "tlsscope/resolve.h"
#include "tlsscope/revocation.h"
#include "tlsscope/starttls.h"
#include "tlsscope/target.h"
#include "tlsscope/verify.h"
#include "client_private.h"
#include "trace.h"

/* After a TLS 1.3 handshake the client reads until the first record (a NewSessionTicket, an
 * alert or data): a server that rejects the client certificate says so only then (RFC 8446
 * §4.4.2.4, DESIGN.md §3). Servers send tickets at once, so this cap is rarely reached. */
#define POST_HANDSHAKE_CAP_MS 1000.0
#define HTTP_MAX_RESPONSE     (64 * 1024)
/* One address that does not answer (an IPv6 route to nowhere) must not use up the whole budget
 * when others remain to be tried. */
#define CONNECT_ATTEMPT_MS 3000.0

static void set_timer(struct tls_client *c, double at, loop_timer_fn fn)
{
	loop_timer_cancel(c->loop, c->timer);
	c->timer = loop_timer_add(c->loop, at < c->deadline ? at : c->deadline, fn, c);
}

static void watch(struct tls_client *c, short events, loop_fd_fn fn)
{
	loop_unwatch(c->loop, c->tr.fd);
	loop_watch(c->loop, c->tr.fd, events, fn, c);
}

/* ---- the end ---- */

static bool start_followups(struct tls_client *c);

/* The report is final: diagnose it and hand it over. */
void client_conclude(struct tls_client *c)
{
	c->rep->timing.total_ms = trace_elapsed(&c->tr);
	if (c->is_probe || c->is_resume || c->is_sni_probe) {
		if (c->done)
			c->done(c->done_arg);
		return;
	}
	/* The connections are over (--resume's second one too): fetch, then ask OCSP. */
	if (!c->followups_started && !c->cancelled) {
		c->followups_started = true;
		if (start_followups(c))
			return;
	}
	if (c->rep->client_auth.sent)
		c->rep->client_auth.accepted = c->tr.fatal_alert_seen			 ? 0
					       : c->rep->handshake.status == HS_COMPLETE ? 1
											 : -1;
	diagnose_connect(c->rep);
	/* A refusal seen after the handshake (a close without an answer, an HTTP 400) is a
	 * refusal too. */
	if (c->rep->client_auth.sent && report_has_finding(c->rep, "client-cert-rejected"))
		c->rep->client_auth.accepted = 0;
	trace_emit(&c->tr, EV_DONE, NULL);
	if (c->done)
		c->done(c->done_arg);
}

static void on_ocsp_done(void *arg)
{
	struct tls_client *c = arg;

	c->ocsp_query = NULL;
	client_conclude(c);
}

/* --ocsp: the responders are asked once the connection is over, within the same deadline. */
static bool start_ocsp_query(struct tls_client *c)
{
	if (!c->cfg.ocsp || c->is_probe || c->is_resume || c->is_sni_probe || !c->rep->n_chain)
		return false;
	creds_need_system_trust(c->cfg.creds);
	c->ocsp_query = revocation_query_start(c->loop, c->rep, c->vreq.trust, c->deadline,
					       on_ocsp_done, c);
	return c->ocsp_query != NULL;
}

static void on_aia_done(void *arg)
{
	struct tls_client *c = arg;

	c->aia_fetch = NULL;
	if (!start_ocsp_query(c))
		client_conclude(c);
}

/* --fetch-intermediates first, so that --ocsp can ask about the fetched issuer's child. */
static bool start_followups(struct tls_client *c)
{
	if (c->cfg.fetch_intermediates && c->rep->n_chain) {
		c->aia_fetch =
			aia_fetch_start(c->loop, c->rep, &c->vreq, c->deadline, on_aia_done, c);
		if (c->aia_fetch)
			return true;
	}
	return start_ocsp_query(c);
}

/* Esc during the fetch or the OCSP query: what they found so far is all there is. */
static bool cancel_followups(struct tls_client *c)
{
	if (!c->aia_fetch && !c->ocsp_query)
		return false;
	if (c->aia_fetch && !c->rep->aia.error)
		c->rep->aia.error = xstrdup("cancelled");
	aia_fetch_cancel(c->aia_fetch);
	revocation_query_cancel(c->ocsp_query);
	c->aia_fetch = NULL;
	c->ocsp_query = NULL;
	client_conclude(c);
	return true;
}

void client_finish(struct tls_client *c)
{
	if (c->phase == P_DONE)
		return;
	c->phase = P_DONE;
	loop_timer_cancel(c->loop, c->timer);
	c->timer = 0;
	bool resume = c->cfg.resume && !c->is_resume && !c->is_probe && !c->cancelled &&
		      c->rep->handshake.status == HS_COMPLETE && !c->tr.fatal_alert_seen;
	/* --resume: what the server gave us to come back with (a TLS 1.2 session ID or ticket, a
	 * TLS 1.3 ticket, which the post-handshake read waited for). */
	if (resume && gnutls_session_get_data2(c->tr.s, &c->session_data) < 0)
		resume = false;
	if (c->tr.fd >= 0) {
		loop_unwatch(c->loop, c->tr.fd);
		if (c->tr.s && c->rep->handshake.status == HS_COMPLETE && !c->tr.fatal_alert_seen &&
		    !c->rep->handshake.peer_closed)
			gnutls_bye(c->tr.s, GNUTLS_SHUT_WR); /* one try; never waits */
		trace_close(&c->tr);
	}
	if (resume)
		client_start_resume(c);
	else if (client_should_probe_sni(c))
		client_start_sni_probe(c, true);
	else
		client_after_followups(c);
}

/* The follow-up connections are over: conclude, which starts --fetch-intermediates and --ocsp
 * first when they are asked for. */
void client_after_followups(struct tls_client *c)
{
	client_conclude(c);
}

/* ---- facts after the handshake (or after it failed) ---- */

static void collect_chain(struct tls_client *c)
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

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void collect_negotiated(struct tls_client *c)
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

/* ---- HTTP probe ---- */

static void http_parse(struct tls_client *c)
{
	http_parse_response(c->resp, c->resp_len, &c->rep->http);
}

static void on_http_timer(void *arg);

/* The headers are in, and for a refusal (4xx, 5xx) the first body bytes too: the body often
 * says why ("No required SSL certificate was sent"). */
static bool http_answer_complete(struct tls_client *c)
{
	const char *end = c->resp ? memmem(c->resp, c->resp_len, "\r\n\r\n", 4) : NULL;

	if (c->st)
		return starttls_app_complete(c->st, c->resp, c->resp_len);
	if (!end)
		return false;
	if (end + 4 < c->resp + c->resp_len || c->resp_len < 13 || c->resp[9] < '4')
		return true;
	if (!c->body_wait) {
		c->body_wait = true; /* a short wait for the body, not the whole budget */
		set_timer(c, util_now_ms() + POST_HANDSHAKE_CAP_MS, on_http_timer);
	}
	return false;
}

static void http_end(struct tls_client *c)
{
	if (c->st) {
		/* The STARTTLS protocol's request, not HTTP: its answer goes to "application". */
		starttls_app_judge(c->st, c->resp, c->resp_len, c->rep->http.error, c->rep);
		free(c->rep->http.error);
		c->rep->http.error = NULL;
		client_finish(c);
		return;
	}
	http_parse(c);
	trace_emit(&c->tr, EV_HTTP, NULL);
	client_finish(c);
}

static void do_http(struct tls_client *c);

static void on_http_io(void *arg, int fd, short revents)
{
	(void)fd;
	(void)revents;
	do_http(arg);
}

static void on_http_timer(void *arg)
{
	struct tls_client *c = arg;

	c->timer = 0;
	if (!c->rep->http.error && !c->body_wait)
		c->rep->http.error = xstrdup("no complete HTTP response before the timeout");
	http_end(c);
}

static void do_http(struct tls_client *c)
{
	char buf[4096];

	while (!c->req_sent) {
		ssize_t n = gnutls_record_send(c->tr.s, c->req, c->req_len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			watch(c, gnutls_record_get_direction(c->tr.s) ? POLLOUT : POLLIN,
			      on_http_io);
			return;
		}
		if (n < 0) {
			c->rep->http.error = xasprintf("sending the request failed: %s",
						       gnutls_strerror((int)n));
			http_end(c);
			return;
		}
		c->req_sent = true;
	}
	for (;;) {
		ssize_t n = gnutls_record_recv(c->tr.s, buf, sizeof(buf));
		if (n > 0) {
			size_t room = HTTP_MAX_RESPONSE - c->resp_len;
			size_t take = (size_t)n < room ? (size_t)n : room;
			c->resp = xrealloc(c->resp, c->resp_len + take + 1);
			memcpy(c->resp + c->resp_len, buf, take);
			c->resp_len += take;
			c->resp[c->resp_len] = 0;
			if (http_answer_complete(c) || c->resp_len >= HTTP_MAX_RESPONSE)
				break;
			continue;
		}
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			watch(c, POLLIN, on_http_io);
			return;
		}
		if (n == 0) {
			if (!c->resp_len)
				note_closed(c);
			break;
		}
		if (n == GNUTLS_E_FATAL_ALERT_RECEIVED || n == GNUTLS_E_WARNING_ALERT_RECEIVED) {
			trace_received_alert(&c->tr, (int)n, true);
			if (n == GNUTLS_E_WARNING_ALERT_RECEIVED)
				continue;
			c->rep->http.error =
				xstrdup("the server sent an alert instead of a response");
			break;
		}
		if (n == GNUTLS_E_PREMATURE_TERMINATION && c->resp_len)
			break; /* closed without close_notify after answering: common and harmless
				*/
		c->rep->http.error =
			xasprintf("reading the response failed: %s", gnutls_strerror((int)n));
		if (trace_is_transport_error((int)n))
			note_closed(c);
		break;
	}
	http_end(c);
}

static const char *starttls_user(struct tls_client *c);

static void start_http(struct tls_client *c)
{
	const struct tls_client_config *cfg = &c->cfg;
	const char *path = cfg->http_path && *cfg->http_path ? cfg->http_path : "/";
	bool v6 = strchr(cfg->host, ':') != NULL;
	char hostport[300];

	if (cfg->port == 443)
		snprintf(hostport, sizeof(hostport), v6 ? "[%s]" : "%s", cfg->host);
	else
		snprintf(hostport, sizeof(hostport), v6 ? "[%s]:%u" : "%s:%u", cfg->host,
			 cfg->port);
	c->phase = P_HTTP;
	if (c->st && starttls_app_request(c->st, starttls_user(c), &c->req, &c->req_len)) {
		set_timer(c, c->deadline, on_http_timer);
		do_http(c);
		return;
	}
	c->rep->http.present = true;
	c->rep->http.request_path = xstrdup(path);
	c->req = xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsscope/%s\r\n"
			   "Accept: */*\r\nConnection: close\r\n\r\n",
			   path, hostport, TLSSCOPE_VERSION);
	c->req_len = strlen(c->req);
	set_timer(c, c->deadline, on_http_timer);
	do_http(c);
}

/* Whether one HTTP request follows the handshake: asked for, or the server asked for a client
 * certificate (many refuse one only at the HTTP layer), unless the port or ALPN says the
 * protocol is another. */
static bool http_wanted(const struct tls_client *c)
{
	/* After STARTTLS the protocol's own first request follows instead, unless --no-http. */
	if (c->st)
		return c->cfg.http != HTTP_OFF && !c->is_probe && !c->is_resume;
	return c->cfg.http == HTTP_ON ||
	       (c->cfg.http == HTTP_AUTO && c->rep->client_auth.requested && http_fits(c));
}

static void after_post_read(struct tls_client *c)
{
	bool want = http_wanted(c);

	if (want && !c->tr.fatal_alert_seen && !c->rep->handshake.peer_closed)
		start_http(c);
	else
		client_finish(c);
}

/* ---- TLS 1.3 post-handshake read ---- */

static void do_post_read(struct tls_client *c);

static void on_post_io(void *arg, int fd, short revents)
{
	(void)fd;
	(void)revents;
	do_post_read(arg);
}

static void on_post_timer(void *arg)
{
	struct tls_client *c = arg;

	c->timer = 0;
	after_post_read(c);
}

static void do_post_read(struct tls_client *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = gnutls_record_recv(c->tr.s, buf, sizeof(buf));
		if (n > 0) {
			/* The server spoke first: keep it, as the start of any HTTP answer. */
			c->resp = xrealloc(c->resp, c->resp_len + (size_t)n + 1);
			memcpy(c->resp + c->resp_len, buf, (size_t)n);
			c->resp_len += (size_t)n;
			c->resp[c->resp_len] = 0;
			break;
		}
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			/* Without a request to answer, a refusal is only seen as a close or an
			 * alert: wait for those (or data) within the cap, past the tickets. */
			if (c->ticket_seen && !c->wait_first_record && !c->tr.push_errno &&
			    gnutls_record_check_pending(c->tr.s) == 0)
				break;
			if (gnutls_record_check_pending(c->tr.s) > 0)
				continue;
			watch(c, POLLIN, on_post_io);
			return;
		}
		if (n == 0) {
			note_closed(c);
			break;
		}
		if (n == GNUTLS_E_WARNING_ALERT_RECEIVED) {
			trace_received_alert(&c->tr, (int)n, true);
			continue;
		}
		if (n == GNUTLS_E_FATAL_ALERT_RECEIVED) {
			trace_received_alert(&c->tr, (int)n, true);
			break;
		}
		if (trace_is_transport_error((int)n)) {
			note_closed(c);
			break;
		}
		/* Anything else (a KeyUpdate gone wrong, a rehandshake request) ends the read. */
		trace_set_error(c->rep, "after the handshake: %s", gnutls_strerror((int)n));
		break;
	}
	after_post_read(c);
}

/* ---- the handshake ---- */

static void fail_handshake(struct tls_client *c, int rc)
{
	struct tls_report *r = c->rep;

	r->handshake.status = HS_FAILED;
	r->handshake.gnutls_error = rc;
	if (c->is_probe) {
		if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
			r->handshake.alert_received =
				(struct tls_alert){.present = true,
						   .level = 2,
						   .code = (int)gnutls_alert_get(c->tr.s)};
		client_finish(c);
		return;
	}
	r->timing.handshake_ms =
		trace_elapsed(&c->tr) - (r->timing.connect_ms >= 0 ? r->timing.connect_ms : 0);
	trace_handshake_failed(&c->tr, rc);
	trace_emit(&c->tr, EV_HANDSHAKE, NULL);
	collect_chain(c);
	if (client_should_probe_sni(c))
		client_start_sni_probe(c, false);
	else if (client_should_probe(c))
		client_start_probes(c);
	else
		client_finish(c);
}

static void handshake_complete(struct tls_client *c)
{
	struct tls_report *r = c->rep;

	r->handshake.status = HS_COMPLETE;
	r->timing.handshake_ms =
		trace_elapsed(&c->tr) - (r->timing.connect_ms >= 0 ? r->timing.connect_ms : 0);
	collect_negotiated(c);
	trace_emit(&c->tr, EV_HANDSHAKE, NULL);
	collect_chain(c);
	if (c->is_sni_probe) {
		client_finish(c); /* the certificate is what it came for */
		return;
	}
	c->handshake_done_ms = trace_elapsed(&c->tr);
	c->wait_first_record = c->rep->client_auth.requested && !http_wanted(c) && !c->is_resume;
	if (gnutls_protocol_get_version(c->tr.s) == GNUTLS_TLS1_3 || c->wait_first_record ||
	    c->tr.push_errno) {
		c->phase = P_POST;
		set_timer(c, util_now_ms() + POST_HANDSHAKE_CAP_MS, on_post_timer);
		do_post_read(c);
	} else {
		after_post_read(c);
	}
}

static void do_handshake(struct tls_client *c);

static void on_handshake_io(void *arg, int fd, short revents)
{
	(void)fd;
	(void)revents;
	do_handshake(arg);
}

static void do_handshake(struct tls_client *c)
{
	short events;
	int rc = trace_handshake(&c->tr, &events);

	if (rc == 0)
		handshake_complete(c);
	else if (rc == 1)
		watch(c, events, on_handshake_io);
	else
		fail_handshake(c, rc);
}

/* The cipher suite a ServerHello names (RFC 8446 §4.1.3: version, random, session id, suite),
 * read from the message: GnuTLS has not settled it yet when the hook runs. */
static char *server_hello_suite(const gnutls_datum_t *msg)
{
	unsigned char id[2];
	const char *name = NULL;

	if (!msg || msg->size < 35 || msg->size < 35u + msg->data[34] + 2)
		return NULL;
	memcpy(id, msg->data + 35 + msg->data[34], 2);
	for (size_t i = 0;; i++) {
		unsigned char cs[2];
		const char *n = gnutls_cipher_suite_info(i, cs, NULL, NULL, NULL, NULL);
		if (!n)
			break;
		if (cs[0] == id[0] && cs[1] == id[1]) {
			name = n;
			break;
		}
	}
	return name ? xasprintf("TLS_%s", strncmp(name, "TLS_", 4) == 0 ? name + 4 : name)
		    : xasprintf("0x%02X%02X", id[0], id[1]);
}

/* One step per handshake message: received ones when they arrive (before GnuTLS processes
 * them, so a message that fails processing is still listed), sent ones once built. */
static int on_hook(gnutls_session_t s, unsigned htype, unsigned when, unsigned incoming,
		   const gnutls_datum_t *msg)
{
	struct tls_client *c = trace_owner(s);

	if (htype == GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC)
		return 0;
	/* A probe looks at the server's answer once GnuTLS has read its choices. */
	if (c->is_probe ? !(incoming && when == GNUTLS_HOOK_POST)
			: !trace_hook_takes(when, incoming))
		return 0;
	enum tls_step_type type = names_step_from_gnutls(htype);
	if (c->is_probe) {
		if (!incoming || (type != STEP_SERVER_HELLO && type != STEP_HELLO_RETRY_REQUEST))
			return 0;
		/* The server answered: note what it chose and stop here. */
		struct tls_negotiated *n = &c->rep->negotiated;
		n->present = true;
		n->version = dup_or_null(gnutls_protocol_get_name(gnutls_protocol_get_version(s)));
		n->cipher_suite = server_hello_suite(msg);
		return GNUTLS_E_USER_ERROR;
	}
	if (incoming && type == STEP_CERTIFICATE_REQUEST)
		c->rep->client_auth.requested = true;
	if (incoming && type == STEP_NEW_SESSION_TICKET)
		c->ticket_seen = true;
	trace_message(&c->tr, incoming, type, msg);
	return 0;
}

/* The server asked for a certificate. GnuTLS's own choice would silently send nothing when the
 * issuer is not in the server's list (DESIGN.md §3); deciding here keeps that visible. */
static int on_retrieve(gnutls_session_t s, const struct gnutls_cert_retr_st *info,
		       gnutls_pcert_st **certs, unsigned *ncerts, gnutls_ocsp_data_st **ocsp,
		       unsigned *nocsp, gnutls_privkey_t *key, unsigned *flags)
{
	struct tls_client *c = trace_owner(s);
	struct tls_client_auth *ca = &c->rep->client_auth;
	const struct tls_creds *cr = c->cfg.creds;
	bool acceptable = info->nreqs == 0;

	ca->requested = true;
	for (unsigned i = 0; i < info->nreqs; i++) {
		gnutls_datum_t str = {0};
		if (gnutls_x509_rdn_get2(&info->req_ca_rdn[i], &str, 0) == 0) {
			strlist_take(&ca->acceptable_cas, xmemdup0(str.data, str.size));
			gnutls_free(str.data);
		}
		for (unsigned k = 0; k < cr->n_id && !acceptable; k++) {
			gnutls_datum_t dn = {0};
			if (gnutls_x509_crt_get_raw_issuer_dn(cr->id_crts[k], &dn) == 0) {
				acceptable =
					dn.size == info->req_ca_rdn[i].size &&
					memcmp(dn.data, info->req_ca_rdn[i].data, dn.size) == 0;
				gnutls_free(dn.data);
			}
		}
	}
	*certs = NULL;
	*ncerts = 0;
	*ocsp = NULL;
	*nocsp = 0;
	*key = NULL;
	*flags = 0;
	if (!cr->n_id)
		return 0;
	ca->issuer_unlisted = !acceptable;
	if (!acceptable && !c->cfg.force_client_cert) {
		ca->issuer_not_acceptable = true;
		return 0;
	}
	*certs = cr->pcerts;
	*ncerts = cr->n_id;
	*key = cr->key;
	return 0;
}

/* --strict: verify during the handshake and abort on failure, as a real client does. */
static int on_verify(gnutls_session_t s)
{
	struct tls_client *c = trace_owner(s);
	unsigned n = 0;
	const gnutls_datum_t *der = gnutls_certificate_get_peers(s, &n);
	gnutls_x509_crt_t *crts = NULL;

	if (!der || n == 0 || chain_import(der, n, &crts) < 0)
		return -1;
	unsigned status = verify_status(&c->vreq, crts, n);
	chain_free(crts, n);
	return status ? -1 : 0;
}

static void start_handshake(struct tls_client *c)
{
	const struct tls_client_config *cfg = &c->cfg;
	int rc = gnutls_init(&c->tr.s, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);

	if (rc == 0)
		rc = gnutls_priority_set(c->tr.s, c->prio);
	if (rc == 0)
		rc = gnutls_credentials_set(c->tr.s, GNUTLS_CRD_CERTIFICATE, cfg->creds->cred);
	if (rc == 0 && c->rep->target.sni)
		rc = gnutls_server_name_set(c->tr.s, GNUTLS_NAME_DNS, c->rep->target.sni,
					    strlen(c->rep->target.sni));
	if (rc == 0 && c->n_alpn)
		rc = gnutls_alpn_set_protocols(c->tr.s, c->alpn, c->n_alpn, 0);
	if (rc < 0) {
		c->rep->handshake.gnutls_error = rc;
		trace_set_error(c->rep, "cannot set up the TLS session: %s", gnutls_strerror(rc));
		client_finish(c);
		return;
	}
	if (c->session_data.data)
		gnutls_session_set_data(c->tr.s, c->session_data.data, c->session_data.size);
	c->tr.defer_push_errors = true;
	trace_set_transport(&c->tr);
	gnutls_handshake_set_timeout(c->tr.s, 0); /* our own deadline rules */
	gnutls_handshake_set_hook_function(c->tr.s, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH,
					   on_hook);
	if (cfg->strict)
		gnutls_session_set_verify_function(c->tr.s, on_verify);
	c->phase = P_HANDSHAKE;
	do_handshake(c);
}

/* ---- STARTTLS ---- */

static void do_starttls(struct tls_client *c);

static void on_starttls_io(void *arg, int fd, short revents)
{
	(void)fd;
	(void)revents;
	do_starttls(arg);
}

static void do_starttls(struct tls_client *c)
{
	short events = POLLIN;
	int rc = starttls_run(c->st, &c->tr, &events);

	if (rc == 0) {
		loop_unwatch(c->loop, c->tr.fd);
		start_handshake(c);
	} else if (rc == 1) {
		watch(c, events, on_starttls_io);
	} else {
		client_finish(c);
	}
}

/* ---- TCP ---- */

static void try_next_address(struct tls_client *c);
static void on_deadline(void *arg);

static void connected(struct tls_client *c)
{
	set_timer(c, c->deadline, on_deadline);
	c->rep->timing.connect_ms = trace_elapsed(&c->tr);
	trace_emit(&c->tr, EV_CONNECTED, NULL);
	if (c->st) {
		c->phase = P_STARTTLS;
		do_starttls(c);
	} else {
		start_handshake(c);
	}
}

static void on_connect_io(void *arg, int fd, short revents)
{
	struct tls_client *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)revents;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS)
		return;
	if (err) {
		c->last_errno = err;
		loop_unwatch(c->loop, fd);
		close(fd);
		c->tr.fd = -1;
		try_next_address(c);
		return;
	}
	loop_unwatch(c->loop, fd);
	connected(c);
}

static void on_attempt_timeout(void *arg)
{
	struct tls_client *c = arg;

	c->timer = 0;
	if (util_now_ms() >= c->deadline || !c->ai_next) {
		on_deadline(c);
		return;
	}
	c->last_errno = ETIMEDOUT;
	loop_unwatch(c->loop, c->tr.fd);
	close(c->tr.fd);
	c->tr.fd = -1;
	set_timer(c, c->deadline, on_deadline);
	try_next_address(c);
}

static void set_address(struct tls_client *c, const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN] = "";
	const void *a = sa->sa_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	inet_ntop(sa->sa_family, a, buf, sizeof(buf));
	free(c->rep->target.address);
	c->rep->target.address = xstrdup(buf);
}

static void try_next_address(struct tls_client *c)
{
	while (c->ai_next) {
		struct addrinfo *ai = c->ai_next;
		c->ai_next = ai->ai_next;
		set_address(c, ai->ai_addr);
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			c->last_errno = errno;
			continue;
		}
		c->tr.fd = fd;
		/* Handshake flights are several small writes: without this, Nagle's algorithm
		 * and the peer's delayed ACK add ~40 ms to a TLS 1.2 handshake. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			connected(c);
			return;
		}
		if (errno == EINPROGRESS) {
			loop_watch(c->loop, fd, POLLOUT, on_connect_io, c);
			if (c->ai_next)
				set_timer(c, util_now_ms() + CONNECT_ATTEMPT_MS,
					  on_attempt_timeout);
			else
				set_timer(c, c->deadline, on_deadline);
			return;
		}
		c->last_errno = errno;
		close(fd);
		c->tr.fd = -1;
	}
	c->rep->handshake.sys_errno = c->last_errno;
	trace_set_error(c->rep, "cannot connect to %s port %u: %s",
			c->rep->target.address ? c->rep->target.address : c->cfg.host, c->cfg.port,
			strerror(c->last_errno ? c->last_errno : EHOSTUNREACH));
	client_finish(c);
}

static void on_resolved(void *arg, int gai_error, struct addrinfo *res)
{
	struct tls_client *c = arg;

	c->rj = NULL;
	c->rep->timing.resolve_ms = trace_elapsed(&c->tr);
	if (gai_error || !res) {
		c->rep->handshake.gai_error = gai_error ? gai_error : EAI_NONAME;
		trace_set_error(c->rep, "cannot resolve %s: %s", c->cfg.host,
				gai_strerror(c->rep->handshake.gai_error));
		client_finish(c);
		return;
	}
	c->ai_list = c->ai_next = res;
	trace_emit(&c->tr, EV_RESOLVED, NULL);
	c->phase = P_CONNECT;
	try_next_address(c);
}

/* ---- deadlines ---- */

static void on_deadline(void *arg)
{
	struct tls_client *c = arg;

	c->timer = 0;
	switch (c->phase) {
	case P_RESOLVE:
		resolve_cancel(c->rj);
		c->rj = NULL;
		c->rep->handshake.gai_error = EAI_AGAIN;
		trace_set_error(c->rep, "resolving %s took longer than %.1f s", c->cfg.host,
				c->cfg.timeout_s);
		break;
	case P_CONNECT:
		c->rep->handshake.sys_errno = ETIMEDOUT;
		trace_set_error(c->rep,
				"TCP connection to %s port %u not established within %.1f s",
				c->rep->target.address ? c->rep->target.address : c->cfg.host,
				c->cfg.port, c->cfg.timeout_s);
		break;
	case P_HANDSHAKE: {
		const struct tls_report *r = c->rep;
		c->rep->handshake.status = HS_TIMEOUT;
		c->rep->timing.handshake_ms = trace_elapsed(&c->tr) - r->timing.connect_ms;
		if (r->handshake.n_steps)
			r->handshake.steps[r->handshake.n_steps - 1].failure_point = true;
		trace_set_error(
			c->rep,
			"the handshake made no progress within %.1f s (waiting after %s %s)",
			c->cfg.timeout_s,
			r->handshake.n_steps
				? (r->handshake.steps[r->handshake.n_steps - 1].dir == TLS_DIR_SENT
					   ? "sending"
					   : "receiving")
				: "connecting,",
			r->handshake.n_steps
				? names_step(r->handshake.steps[r->handshake.n_steps - 1].type)
				: "nothing sent");
		trace_emit(&c->tr, EV_HANDSHAKE, NULL);
		collect_chain(c);
		break;
	}
	case P_STARTTLS:
		starttls_timeout(c->st, c->cfg.timeout_s);
		break;
	case P_POST:
		after_post_read(c);
		return;
	case P_HTTP:
		on_http_timer(c);
		return;
	default:
		break;
	}
	client_finish(c);
}

static void on_start(void *arg)
{
	struct tls_client *c = arg;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	char port[8];

	c->timer = loop_timer_add(c->loop, c->deadline, on_deadline, c);
	if (c->is_ip) {
		/* A literal address resolves without a lookup: no thread needed. */
		struct addrinfo *res = NULL;
		snprintf(port, sizeof(port), "%u", c->cfg.port);
		int rc = getaddrinfo(c->cfg.host, port, &hints, &res);
		on_resolved(c, rc, res);
		return;
	}
	c->phase = P_RESOLVE;
	c->rj = resolve_start(c->loop, c->cfg.host, c->cfg.port, on_resolved, c);
	if (!c->rj) {
		c->rep->handshake.gai_error = EAI_SYSTEM;
		trace_set_error(c->rep, "cannot start name resolution: out of threads");
		client_finish(c);
	}
}

/* ---- setup ---- */

static int build_priority(struct tls_client *c, struct tls_error *err)
{
	const struct tls_client_config *cfg = &c->cfg;
	const char *base = cfg->priority && *cfg->priority ? cfg->priority : "NORMAL";
	char *prio = cfg->tls_max == 12 ? xasprintf("%s:-VERS-TLS1.3", base) : xstrdup(base);
	const char *where = NULL;

	int rc = gnutls_priority_init2(&c->prio, prio, &where, GNUTLS_PRIORITY_INIT_DEF_APPEND);
	if (rc < 0) {
		if (rc == GNUTLS_E_INVALID_REQUEST && where)
			tls_error_set(err, "invalid priority string '%s' at '%s'", base, where);
		else
			tls_error_set(err, "invalid priority string '%s': %s", base,
				      gnutls_strerror(rc));
		c->prio = NULL;
	}
	free(prio);
	return rc < 0 ? -1 : 0;
}

static int build_alpn(struct tls_client *c, struct tls_error *err)
{
	return trace_alpn_list(c->cfg.alpn, c->alpn, &c->n_alpn, &c->alpn_buf, err);
}

/* --starttls, or the protocol the port implies (not "none"). */
static int starttls_setup(struct tls_client *c, struct tls_error *err)
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

struct tls_client *client_start(struct loop *l, const struct tls_client_config *cfg,
				const struct tls_sink *sink, struct tls_report *report,
				void (*done)(void *arg), void *done_arg, struct tls_error *err)
{
	struct tls_client *c = xcalloc(1, sizeof(*c));
	struct tls_report *r = report;

	c->loop = l;
	c->cfg = *cfg;
	/* The caller may free its strings while we run (or before client_free): keep copies. */
	const char **strs[] = {&c->cfg.host,	    &c->cfg.sni,      &c->cfg.verify_name,
			       &c->cfg.alpn,	    &c->cfg.priority, &c->cfg.http_path,
			       &c->cfg.keylog_path, &c->cfg.starttls};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (*strs[i])
			*strs[i] = c->own[i] = xstrdup(*strs[i]);
	cfg = &c->cfg;
	c->handshake_done_ms = -1;
	if (sink)
		c->tr.sink = *sink;
	c->rep = report;
	c->tr.rep = report;
	c->tr.owner = c;
	c->done = done;
	c->done_arg = done_arg;
	c->tr.fd = -1;
	c->phase = P_START;
	if (build_priority(c, err) < 0 || build_alpn(c, err) < 0 ||
	    (cfg->keylog_path && !(c->tr.keylog = trace_keylog_open(cfg->keylog_path, err)))) {
		client_free(c);
		return NULL;
	}
	if (starttls_setup(c, err) < 0) {
		client_free(c);
		return NULL;
	}
	if (cfg->keylog_path && !r->keylog_path)
		r->keylog_path = xstrdup(cfg->keylog_path);
	const unsigned *versions = NULL;
	int nv = r->offered_versions.n ? 0 : gnutls_priority_protocol_list(c->prio, &versions);
	for (int i = 0; i < nv; i++) {
		const char *name = gnutls_protocol_get_name((gnutls_protocol_t)versions[i]);
		if (name && strncmp(name, "TLS", 3) == 0)
			strlist_add(&r->offered_versions, name);
	}
	c->is_ip = target_is_ip(cfg->host);
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
	verify_request_init(&c->vreq, cfg->creds, r->target.verify_name, GNUTLS_KP_TLS_WWW_SERVER,
			    &r->policy);
	gnutls_certificate_set_retrieve_function3(cfg->creds->cred, on_retrieve);
	c->tr.t0 = util_now_ms();
	c->deadline = c->tr.t0 + (cfg->timeout_s > 0 ? cfg->timeout_s : 10.0) * 1000.0;
	c->timer = loop_timer_add(l, c->tr.t0, on_start, c);
	return c;
}

void client_cancel(struct tls_client *c)
{
	if (!c)
		return;
	c->cancelled = true;
	/* --resume: the first connection is over and the second runs; stopping that one
	 * concludes us (on_resume_done). */
	if (c->phase == P_DONE) {
		if (c->probe && (c->probe->is_resume || c->probe->is_sni_probe))
			client_cancel(c->probe);
		else
			cancel_followups(c);
		return;
	}
	resolve_cancel(c->rj);
	c->rj = NULL;
	if (c->rep->handshake.status == HS_NOT_STARTED && c->phase >= P_HANDSHAKE)
		c->rep->handshake.status = HS_FAILED;
	trace_set_error(c->rep, "cancelled");
	c->rep->handshake.cancelled = true;
	client_finish(c);
}

void client_free(struct tls_client *c)
{
	if (!c)
		return;
	if (c->phase != P_DONE && c->phase != P_START) {
		c->done = NULL;
		client_cancel(c);
	}
	loop_timer_cancel(c->loop, c->timer);
	resolve_cancel(c->rj);
	revocation_query_cancel(c->ocsp_query);
	aia_fetch_cancel(c->aia_fetch);
	if (c->tr.fd >= 0) {
		loop_unwatch(c->loop, c->tr.fd);
		close(c->tr.fd);
	}
	if (c->ai_list)
		freeaddrinfo(c->ai_list);
	if (c->tr.s)
		gnutls_deinit(c->tr.s);
	if (c->prio)
		gnutls_priority_deinit(c->prio);
	loop_timer_cancel(c->loop, c->probe_timer);
	client_free(c->probe);
	report_free(&c->probe_report); /* zeroed when no probe holds it */
	free(c->probe_priority);
	free(c->alpn_buf);
	if (!c->session_data_lent)
		gnutls_free(c->session_data.data);
	if (c->tr.keylog)
		fclose(c->tr.keylog);
	starttls_free(c->st);
	free(c->req);
	free(c->resp);
	for (size_t i = 0; i < sizeof(c->own) / sizeof(c->own[0]); i++)
		free(c->own[i]);
	free(c);
}

static void stop_loop(void *arg)
{
	loop_stop(arg);
}

int client_run(const struct tls_client_config *cfg, const struct tls_sink *sink,
	       struct tls_report *report, struct tls_error *err)
{
	struct loop *l = loop_new();
	struct tls_client *c = client_start(l, cfg, sink, report, stop_loop, l, err);

	if (!c) {
		loop_free(l);
		return -1;
	}
	loop_run(l);
	client_free(c);
	loop_free(l);
	return 0;
}
