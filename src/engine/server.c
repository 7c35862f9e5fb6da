#include "tlsscope/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsscope/chain.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/names.h"
#include "tlsscope/verify.h"
#include "session.h"
#include "sockets.h"
#include "trace.h"

#define MAX_LISTENERS 2
#define REQUEST_MAX   (16 * 1024)

/* At --max-conns a new client takes the place of the connection idle longest in its
 * handshake, once that one has made no progress (no handshake message either way) for this
 * long. A real handshake waits for its peer one round trip at a time and keeps its place; a
 * crowd that connects and stalls (slowloris) cannot keep new clients in the backlog until the
 * handshake deadline frees its places. */
#define EVICT_IDLE_MS 1000.0

/* accept() out of descriptors (EMFILE, ENFILE) or memory leaves the backlog readable: polling
 * it again at once spins. Pause, doubling from 5 ms up to 1 s (as Go's net/http server does on
 * temporary accept errors); a connection that ends gives a descriptor back and resumes at once. */
#define ACCEPT_PAUSE_MIN_MS 5.0
#define ACCEPT_PAUSE_MAX_MS 1000.0

/* ---- connections ---- */

enum conn_phase { C_HANDSHAKE, C_RESPOND, C_DONE };

struct conn {
	struct tls_server *srv;
	struct tls_trace tr;
	struct tls_report *rep;
	enum conn_phase phase;
	double deadline;
	double progress_ms; /* accepted, or the last handshake message either way */
	int timer;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_sent;
	bool saw_eof;
	bool answered; /* the HTTP reply is queued: close once it is out */
	struct conn *next;
};

struct tls_server {
	struct loop *loop;
	struct tls_server_config cfg;
	struct tls_sink sink;
	tls_report_fn on_report;
	void *arg;
	int lfd[MAX_LISTENERS];
	size_t n_lfd;
	bool accepting;
	int resume_timer;	/* accepting again after a pause, or 0 */
	double accept_pause_ms; /* the last pause after accept() failed, 0 after a success */
	unsigned port;
	gnutls_priority_t prio;
	gnutls_datum_t alpn[TRACE_MAX_ALPN];
	unsigned n_alpn;
	char *alpn_buf;
	struct verify_request vreq;
	FILE *keylog;
	gnutls_datum_t ticket_key;
	const char *versions[SESSION_MAX_VERSIONS]; /* what the priority string allows */
	int n_versions;
	struct conn *conns;
	size_t n_conns;
	struct tls_report **ring;
	size_t ring_cap, ring_start, ring_len;
};

static void start_accepting(struct tls_server *s);
static void stop_accepting(struct tls_server *s);

static void conn_free(struct conn *c)
{
	struct tls_server *s = c->srv;

	loop_timer_cancel(s->loop, c->timer);
	if (c->tr.fd >= 0) {
		loop_unwatch(s->loop, c->tr.fd);
		close(c->tr.fd);
	}
	session_deinit(&c->tr);
	for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			s->n_conns--;
			break;
		}
	}
	free(c->in);
	free(c->out);
	free(c);
}

static void keep_in_history(struct tls_server *s, struct tls_report *r)
{
	if (s->ring_len == s->ring_cap) {
		struct tls_report *old = s->ring[s->ring_start];
		report_free(old);
		free(old);
		s->ring_start = (s->ring_start + 1) % s->ring_cap;
		s->ring_len--;
	}
	s->ring[(s->ring_start + s->ring_len) % s->ring_cap] = r;
	s->ring_len++;
}

/* The connection is over: diagnose, report, keep in the history, and accept again if the
 * connection limit had stopped us. quiet: a peer that sent nothing at all is not reported. */
static void conn_end(struct conn *c, bool quiet)
{
	struct tls_server *s = c->srv;
	struct tls_report *r = c->rep;
	double t0 = c->tr.t0;

	if (c->phase == C_DONE)
		return;
	c->phase = C_DONE;
	if (c->tr.fd >= 0) {
		loop_unwatch(s->loop, c->tr.fd);
		if (r->handshake.status == HS_COMPLETE && !c->tr.fatal_alert_seen && !c->saw_eof)
			gnutls_bye(c->tr.s, GNUTLS_SHUT_WR); /* one try; never waits */
		trace_close(&c->tr);
	}
	c->rep = NULL;
	conn_free(c);
	if (quiet) {
		report_free(r);
		free(r);
	} else {
		r->timing.total_ms = util_now_ms() - t0;
		diagnose_listen(r);
		struct tls_event ev = {.type = EV_DONE, .t_ms = r->timing.total_ms, .report = r};
		if (s->sink.fn)
			s->sink.fn(s->sink.ctx, &ev);
		keep_in_history(s, r);
		if (s->on_report)
			s->on_report(s->arg, r);
	}
	if (!s->accepting && s->n_conns < s->cfg.max_conns)
		start_accepting(s);
}

/* ---- after the handshake: the reply ---- */

static void append(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*buf = xrealloc(*buf, *len + (size_t)n + 1);
	memcpy(*buf + *len, s, (size_t)n + 1);
	*len += (size_t)n;
	free(s);
}

/* A small HTTP/1.1 answer whose body says what the listener saw, so that curl, a browser or
 * a Python client shows the verdict. 200 when the client passed every check, 403 otherwise. */
static void build_http_reply(struct conn *c)
{
	struct tls_report *r = c->rep;
	char *body = NULL;
	size_t blen = 0;

	diagnose_listen(r);
	append(&body, &blen, "tlsscope listen: verdict %s\n", r->verdict_ok ? "ok" : "fail");
	append(&body, &blen, "connection: %s %s\n",
	       r->negotiated.version ? r->negotiated.version : "?",
	       r->negotiated.cipher_suite ? r->negotiated.cipher_suite : "?");
	if (r->n_chain) {
		const struct tls_cert_info *leaf = &r->chain[0];
		append(&body, &blen,
		       "client certificate: %s\nissuer: %s\nserial: hex %s, decimal %s\n",
		       leaf->subject, leaf->issuer, leaf->serial_hex, leaf->serial_dec);
	} else {
		append(&body, &blen, "client certificate: none\n");
	}
	for (size_t i = 0; i < r->listen.serial_rules.n; i++)
		append(&body, &blen, "%s%s",
		       i ? ", " : "allowed serials: ", r->listen.serial_rules.v[i]);
	if (r->listen.serial_rules.n)
		append(&body, &blen, "\n");
	for (size_t i = 0; i < r->n_findings; i++)
		append(&body, &blen, "%s %s: %s\n", names_severity(r->findings[i].severity),
		       r->findings[i].id, r->findings[i].detail);
	append(&c->out, &c->out_len,
	       "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
	       "Connection: close\r\nServer: tlsscope/%s\r\n\r\n%s",
	       r->verdict_ok ? "200 OK" : "403 Forbidden", blen, TLSSCOPE_VERSION, body);
	free(body);
}

static void do_respond(struct conn *c);

static void on_respond_io(void *arg, int fd, short revents)
{
	(void)fd;
	(void)revents;
	do_respond(arg);
}

static void conn_watch(struct conn *c, short events, loop_fd_fn fn)
{
	loop_unwatch(c->srv->loop, c->tr.fd);
	loop_watch(c->srv->loop, c->tr.fd, events, fn, c);
}

/* Writes what is queued. Returns 1 when all is out, 0 to wait, -1 on error. */
static int flush_out(struct conn *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n =
			gnutls_record_send(c->tr.s, c->out + c->out_sent, c->out_len - c->out_sent);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			conn_watch(c, gnutls_record_get_direction(c->tr.s) ? POLLOUT : POLLIN,
				   on_respond_io);
			return 0;
		}
		if (n < 0)
			return -1;
		c->out_sent += (size_t)n;
	}
	c->out_len = c->out_sent = 0;
	return 1;
}

/* What the client sent, taken as the mode says: echoed, or an HTTP request answered once its
 * header block is in (or too much came). */
static void take_request(struct conn *c, const char *buf, size_t n)
{
	if (c->srv->cfg.respond == RESPOND_ECHO) {
		c->out = xrealloc(c->out, n);
		memcpy(c->out, buf, n);
		c->out_len = n;
		c->out_sent = 0;
		return;
	}
	size_t take = n < REQUEST_MAX - c->in_len ? n : REQUEST_MAX - c->in_len;
	c->in = xrealloc(c->in, c->in_len + take + 1);
	memcpy(c->in + c->in_len, buf, take);
	c->in_len += take;
	c->in[c->in_len] = 0;
	if (memmem(c->in, c->in_len, "\r\n\r\n", 4) || memmem(c->in, c->in_len, "\n\n", 2) ||
	    c->in_len >= REQUEST_MAX) {
		build_http_reply(c);
		c->answered = true;
	}
}

static void do_respond(struct conn *c)
{
	char buf[4096];
	enum tls_respond mode = c->srv->cfg.respond;

	for (;;) {
		int f = flush_out(c);
		if (f < 0 || (f == 1 && (mode == RESPOND_NONE || c->saw_eof || c->answered))) {
			conn_end(c, false);
			return;
		}
		if (f == 0)
			return;
		size_t n;
		int rc;
		switch (session_read(&c->tr, buf, sizeof(buf), &n, &rc)) {
		case SESSION_DATA:
			take_request(c, buf, n);
			break;
		case SESSION_AGAIN:
			conn_watch(c, POLLIN, on_respond_io);
			return;
		case SESSION_ALERT: /* a fatal alert: the client is gone */
		case SESSION_EOF:   /* EOF, with or without close_notify: the client is done */
		case SESSION_TRANSPORT:
			c->saw_eof = true;
			break;
		case SESSION_ERROR:
			/* A broken record (bad MAC, bad padding, an unexpected message): tell the
			 * client why, as RFC 8446 §6.2 asks, and stop. */
			trace_set_error(c->rep, "after the handshake: %s", gnutls_strerror(rc));
			trace_send_alert(&c->tr, rc);
			c->tr.fatal_alert_seen = true; /* no close_notify after a fatal alert */
			c->saw_eof = true;
			break;
		}
	}
}

/* The handshake stalled: reported as a timeout, the last step marked as where it stopped. */
static void mark_stalled(struct conn *c)
{
	struct tls_report *r = c->rep;

	r->handshake.status = HS_TIMEOUT;
	r->timing.handshake_ms = util_now_ms() - c->tr.t0;
	if (r->handshake.n_steps)
		r->handshake.steps[r->handshake.n_steps - 1].failure_point = true;
}

static void on_conn_timer(void *arg)
{
	struct conn *c = arg;

	c->timer = 0;
	if (c->phase == C_HANDSHAKE) {
		mark_stalled(c);
		trace_set_error(c->rep, "the client made no progress within %.1f s",
				c->srv->cfg.handshake_timeout_s);
		/* A connection that never sent a byte and just sat there is still reported:
		 * unlike a port check, it held a connection slot for the whole deadline. */
	}
	conn_end(c, false);
}

/* Makes room for a new client (EVICT_IDLE_MS): reported as a stalled handshake that says why
 * it ended early. A client that never sent a byte is reported too, as at its deadline. */
static void conn_evict(struct conn *c)
{
	mark_stalled(c);
	trace_set_error(c->rep,
			"evicted: the connection limit (%u) was reached while this client sat idle "
			"in the handshake for %.1f s",
			c->srv->cfg.max_conns, (util_now_ms() - c->progress_ms) / 1000.0);
	conn_end(c, false);
}

/* ---- the handshake ---- */

static void check_serial(struct conn *c)
{
	const struct tls_server_config *cfg = &c->srv->cfg;
	struct tls_report *r = c->rep;
	const char *form = NULL;

	r->listen.n_serial_rules = cfg->n_serials;
	for (size_t k = 0; k < cfg->n_serials && r->listen.serial_rules.n < cfg->n_serials; k++) {
		char buf[600];
		serial_rule_describe(&cfg->serials[k], buf, sizeof(buf));
		strlist_add(&r->listen.serial_rules, buf);
	}
	if (!cfg->n_serials || !r->n_chain)
		return;
	int i = serial_rules_match(cfg->serials, cfg->n_serials, r->chain[0].serial_hex,
				   r->chain[0].serial_dec, &form);
	if (i >= 0) {
		r->listen.serial_matched = xstrdup(cfg->serials[i].text);
		r->listen.serial_form = form;
	}
}

/* The client's chain, verified against --client-ca for TLS client use; no name to check. */
static void collect_client_chain(struct conn *c)
{
	unsigned n = 0;
	const gnutls_datum_t *der = gnutls_certificate_get_peers(c->tr.s, &n);
	gnutls_x509_crt_t *crts;

	if (!der || n == 0 || c->rep->n_chain || chain_import(der, n, &crts) < 0)
		return;
	verify_report(&c->srv->vreq, crts, n, c->rep);
	chain_free(crts, n);
	c->rep->client_auth.sent = true;
	check_serial(c);
	trace_emit(&c->tr, EV_VERIFIED, NULL);
}

static void collect_negotiated(struct conn *c)
{
	char sni[256];
	size_t sni_len = sizeof(sni);
	unsigned type;

	trace_negotiated(&c->tr);
	if (gnutls_server_name_get(c->tr.s, sni, &sni_len, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS)
		c->rep->target.sni = xstrndup(sni, sni_len);
}

static void do_handshake(struct conn *c);

static void on_handshake_io(void *arg, int fd, short revents)
{
	(void)fd;
	(void)revents;
	do_handshake(arg);
}

static void handshake_failed(struct conn *c, int rc)
{
	struct tls_report *r = c->rep;

	/* A connection that closes before sending a byte (a port check, a load balancer's probe)
	 * is neither reported nor counted. */
	if (r->handshake.n_first_bytes == 0 && trace_is_transport_error(rc)) {
		conn_end(c, true);
		return;
	}
	r->handshake.status = HS_FAILED;
	r->handshake.gnutls_error = rc;
	r->timing.handshake_ms = util_now_ms() - c->tr.t0;
	trace_handshake_failed(&c->tr, rc);
	r->listen.rejected = r->handshake.alert_sent.present;
	trace_emit(&c->tr, EV_HANDSHAKE, NULL);
	collect_client_chain(c);
	conn_end(c, false);
}

static void do_handshake(struct conn *c)
{
	short events;
	int rc = trace_handshake(&c->tr, &events);

	if (rc == 1) {
		conn_watch(c, events, on_handshake_io);
		return;
	}
	if (rc < 0) {
		handshake_failed(c, rc);
		return;
	}
	struct tls_report *r = c->rep;
	r->handshake.status = HS_COMPLETE;
	r->timing.handshake_ms = util_now_ms() - c->tr.t0;
	collect_negotiated(c);
	trace_emit(&c->tr, EV_HANDSHAKE, NULL);
	collect_client_chain(c);
	c->phase = C_RESPOND;
	/* The reply phase gets a deadline of its own: a client that goes quiet is let go. */
	loop_timer_cancel(c->srv->loop, c->timer);
	c->timer = loop_timer_add(c->srv->loop,
				  util_now_ms() + c->srv->cfg.handshake_timeout_s * 1000.0,
				  on_conn_timer, c);
	do_respond(c);
}

static int on_message(void *owner, enum tls_step_type type, bool taken, unsigned incoming,
		      const gnutls_datum_t *msg)
{
	struct conn *c = owner;

	if (!taken)
		return 0;
	if (incoming && type == STEP_CLIENT_HELLO && msg)
		c->rep->listen.client_max_version = session_client_hello_max_version(msg);
	if (!incoming && type == STEP_CERTIFICATE_REQUEST)
		c->rep->client_auth.requested = true;
	c->progress_ms = util_now_ms();
	return 1;
}

/* --strict: a client whose certificate verified is still refused, in the handshake, when its
 * serial is not on the allowlist. */
static int on_leaf(void *owner, gnutls_x509_crt_t leaf)
{
	const struct conn *c = owner;
	const struct tls_server_config *cfg = &c->srv->cfg;
	struct tls_cert_info info = {0};
	const char *form;
	int result = 0;

	if (!cfg->n_serials)
		return 0;
	chain_describe(leaf, 0, &info);
	if (serial_rules_match(cfg->serials, cfg->n_serials, info.serial_hex, info.serial_dec,
			       &form) < 0)
		result = -1;
	cert_info_free(&info);
	return result;
}

static void start_conn(struct tls_server *s, int fd, const struct sockaddr_storage *ss)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct tls_report *r = xcalloc(1, sizeof(*r));
	const struct tls_server_config *cfg = &s->cfg;
	char peer[INET6_ADDRSTRLEN + 16];
	int rc;

	report_init(r, TLS_MODE_LISTEN);
	r->own_chain = cfg->own_chain;
	c->srv = s;
	c->rep = r;
	c->tr = (struct tls_trace){.rep = r,
				   .sink = s->sink,
				   .t0 = util_now_ms(),
				   .fd = fd,
				   .owner = c,
				   .keylog = s->keylog};
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
	sockets_peer_name(ss, peer, sizeof(peer));
	r->listen.peer_address = xstrdup(peer);
	r->listen.client_cert = cfg->client_cert;
	r->keylog_path = cfg->keylog_path ? xstrdup(cfg->keylog_path) : NULL;
	r->target.host = xstrdup(cfg->addr ? cfg->addr : "*");
	r->target.port = s->port;
	r->timing.connect_ms = 0;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));

	struct session_config sc = {
		.role = SESSION_SERVER,
		.prio = s->prio,
		.cred = cfg->creds->cred,
		.creds = cfg->creds,
		.alpn = s->alpn,
		.n_alpn = s->n_alpn,
		.on_message = on_message,
		.strict_vreq = cfg->strict ? &s->vreq : NULL,
		.on_leaf = on_leaf,
		.peer_cert_required = cfg->client_cert == CLIENT_CERT_REQUIRE,
		.client_cert = cfg->client_cert,
		.ticket_key = &s->ticket_key,
	};
	rc = session_init(&c->tr, &sc);
	if (rc < 0) {
		trace_set_error(r, "cannot set up the TLS session: %s", gnutls_strerror(rc));
		conn_end(c, false);
		return;
	}
	for (int i = 0; i < s->n_versions; i++)
		strlist_add(&r->offered_versions, s->versions[i]);
	c->deadline = c->tr.t0 + cfg->handshake_timeout_s * 1000.0;
	c->progress_ms = c->tr.t0;
	c->timer = loop_timer_add(s->loop, c->deadline, on_conn_timer, c);
	trace_emit(&c->tr, EV_CONNECTED, NULL);
	do_handshake(c);
}

/* The connection in its handshake that has gone longest without progress, or NULL. */
static struct conn *idlest_handshake(const struct tls_server *s)
{
	struct conn *best = NULL;

	for (struct conn *c = s->conns; c; c = c->next)
		if (c->phase == C_HANDSHAKE && (!best || c->progress_ms < best->progress_ms))
			best = c;
	return best;
}

static void on_resume(void *arg)
{
	struct tls_server *s = arg;

	s->resume_timer = 0;
	start_accepting(s);
}

/* Stops watching the listening sockets until at_ms (or until a connection ends). */
static void pause_accepting(struct tls_server *s, double at_ms)
{
	stop_accepting(s);
	s->resume_timer = loop_timer_add(s->loop, at_ms, on_resume, s);
}

/* At the limit: keep watching while a connection may be evicted, else wait until one may be
 * (or until one ends: conn_end resumes). */
static void wait_for_room(struct tls_server *s)
{
	const struct conn *c = idlest_handshake(s);

	if (c && util_now_ms() - c->progress_ms >= EVICT_IDLE_MS)
		return;
	stop_accepting(s);
	if (c)
		pause_accepting(s, c->progress_ms + EVICT_IDLE_MS);
}

static void on_accept(void *arg, int lfd, short revents)
{
	struct tls_server *s = arg;

	(void)revents;
	for (;;) {
		struct conn *victim = NULL;
		if (s->n_conns >= s->cfg.max_conns) {
			victim = idlest_handshake(s);
			if (!victim || util_now_ms() - victim->progress_ms < EVICT_IDLE_MS)
				break;
		}
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 &&
		    (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
			s->accept_pause_ms =
				s->accept_pause_ms ? s->accept_pause_ms * 2 : ACCEPT_PAUSE_MIN_MS;
			if (s->accept_pause_ms > ACCEPT_PAUSE_MAX_MS)
				s->accept_pause_ms = ACCEPT_PAUSE_MAX_MS;
			pause_accepting(s, util_now_ms() + s->accept_pause_ms);
			return;
		}
		if (fd < 0)
			break; /* EAGAIN, or a connection reset before we took it */
		s->accept_pause_ms = 0;
		if (victim)
			conn_evict(victim);
		start_conn(s, fd, &ss);
	}
	if (s->accepting && s->n_conns >= s->cfg.max_conns)
		wait_for_room(s);
}

static void start_accepting(struct tls_server *s)
{
	if (s->accepting)
		return;
	loop_timer_cancel(s->loop, s->resume_timer);
	s->resume_timer = 0;
	for (size_t i = 0; i < s->n_lfd; i++)
		loop_watch(s->loop, s->lfd[i], POLLIN, on_accept, s);
	s->accepting = true;
}

static void stop_accepting(struct tls_server *s)
{
	loop_timer_cancel(s->loop, s->resume_timer);
	s->resume_timer = 0;
	for (size_t i = 0; i < s->n_lfd; i++)
		loop_unwatch(s->loop, s->lfd[i]);
	s->accepting = false;
}

/* ---- setup ---- */

static int listen_on(struct tls_server *s, int family, const char *addr, unsigned port,
		     struct tls_error *err)
{
	int fd = sockets_listen(family, addr, port, &s->port, err);

	if (fd < 0)
		return -1;
	s->lfd[s->n_lfd++] = fd;
	return 0;
}

struct tls_server *server_start(struct loop *l, const struct tls_server_config *cfg,
				const struct tls_sink *sink, tls_report_fn on_report, void *arg,
				struct tls_error *err)
{
	struct tls_server *s = xcalloc(1, sizeof(*s));
	const char *where = NULL;
	struct tls_policy policy = {
		.check_hostname = false, .min_rsa_bits = 2048, .min_ec_bits = 224};

	s->loop = l;
	s->cfg = *cfg;
	if (!s->cfg.handshake_timeout_s)
		s->cfg.handshake_timeout_s = 10;
	if (!s->cfg.max_conns)
		s->cfg.max_conns = 256;
	if (!s->cfg.history)
		s->cfg.history = 1000;
	if (sink)
		s->sink = *sink;
	s->on_report = on_report;
	s->arg = arg;
	if (!cfg->creds || !cfg->creds->n_id) {
		tls_error_set(err, "listen needs a server identity: --cert FILE --key FILE");
		goto fail;
	}
	const char *prio = cfg->priority && *cfg->priority ? cfg->priority : "NORMAL";
	int rc = gnutls_priority_init2(&s->prio, prio, &where, GNUTLS_PRIORITY_INIT_DEF_APPEND);
	if (rc < 0) {
		s->prio = NULL;
		tls_error_set(err, "invalid priority string '%s'%s%s", prio, where ? " at " : "",
			      where ? where : "");
		goto fail;
	}
	if (trace_alpn_list(cfg->alpn, s->alpn, &s->n_alpn, &s->alpn_buf, err) < 0)
		goto fail;
	s->n_versions = session_versions(s->prio, s->versions);
	if (gnutls_session_ticket_key_generate(&s->ticket_key) < 0) {
		tls_error_set(err, "cannot make a session ticket key");
		goto fail;
	}
	if (cfg->keylog_path && !(s->keylog = trace_keylog_open(cfg->keylog_path, err)))
		goto fail;
	if (cfg->addr) {
		bool v6 = strchr(cfg->addr, ':') != NULL;
		if (listen_on(s, v6 ? AF_INET6 : AF_INET, cfg->addr, cfg->port, err) < 0)
			goto fail;
	} else {
		if (listen_on(s, AF_INET, NULL, cfg->port, err) < 0)
			goto fail;
		struct tls_error ignored;
		/* IPv6 where the machine has it; IPv4 alone is fine. */
		listen_on(s, AF_INET6, NULL, s->port, &ignored);
	}
	verify_request_init(&s->vreq, cfg->creds, NULL, GNUTLS_KP_TLS_WWW_CLIENT, &policy);
	s->ring_cap = s->cfg.history;
	s->ring = xcalloc(s->ring_cap, sizeof(*s->ring));
	start_accepting(s);
	return s;
fail:
	server_free(s);
	return NULL;
}

unsigned server_port(const struct tls_server *s)
{
	return s->port;
}

size_t server_active(const struct tls_server *s)
{
	return s->n_conns;
}

size_t server_history_count(const struct tls_server *s)
{
	return s->ring_len;
}

const struct tls_report *server_history_get(const struct tls_server *s, size_t i)
{
	return i < s->ring_len ? s->ring[(s->ring_start + i) % s->ring_cap] : NULL;
}

void server_free(struct tls_server *s)
{
	if (!s)
		return;
	while (s->conns) {
		struct conn *c = s->conns;
		report_free(c->rep);
		free(c->rep);
		conn_free(c);
	}
	stop_accepting(s);
	for (size_t i = 0; i < s->n_lfd; i++)
		close(s->lfd[i]);
	for (size_t i = 0; i < s->ring_len; i++) {
		struct tls_report *r = s->ring[(s->ring_start + i) % s->ring_cap];
		report_free(r);
		free(r);
	}
	free(s->ring);
	if (s->prio)
		gnutls_priority_deinit(s->prio);
	free(s->alpn_buf);
	if (s->keylog)
		fclose(s->keylog);
	if (s->ticket_key.data) {
		gnutls_memset(s->ticket_key.data, 0, s->ticket_key.size);
		gnutls_free(s->ticket_key.data);
	}
	free(s);
}
