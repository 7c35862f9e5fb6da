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
#include "tlsscope/diagnose.h"
#include "tlsscope/resolve.h"
#include "tlsscope/revocation.h"
#include "tlsscope/starttls.h"
#include "tlsscope/target.h"
#include "tlsscope/verify.h"
#include "client_private.h"
#include "session.h"
#include "trace.h"

/* After a TLS 1.3 handshake the client reads until the first record (a NewSessionTicket, an
 * alert or data): a server that rejects the client certificate says so only then (RFC 8446
 * §4.4.2.4, DESIGN.md §3). Servers send tickets at once, so this cap is rarely reached. */
#define POST_HANDSHAKE_CAP_MS 1000.0
/* One address that does not answer (an IPv6 route to nowhere) must not use up the whole budget
 * when others remain to be tried. */
#define CONNECT_ATTEMPT_MS 3000.0

static void set_timer(struct tls_client *c, double at, loop_timer_fn fn)
{
	loop_timer_cancel(c->loop, c->timer);
	c->timer = loop_timer_add(c->loop, at < c->deadline ? at : c->deadline, fn, c);
}

static void on_io(void *arg, int fd, short revents)
{
	struct tls_client *c = arg;

	(void)fd;
	(void)revents;
	c->io_step(c);
}

/* Waits for events on the connection, then runs step. */
static void watch(struct tls_client *c, short events, void (*step)(struct tls_client *c))
{
	c->io_step = step;
	loop_unwatch(c->loop, c->tr.fd);
	loop_watch(c->loop, c->tr.fd, events, on_io, c);
}
/* ---- the end ---- */

static void client_conclude(struct tls_client *c);
static bool child_start(struct tls_client *c, enum client_role role,
			const struct tls_client_config *cfg, struct tls_report *report);
static void start_resume(struct tls_client *c);
static void start_probes(struct tls_client *c);
static void start_sni_probe(struct tls_client *c, bool late);

/* The report is final: diagnose it and hand it over. */
static void client_conclude(struct tls_client *c)
{
	c->rep->timing.total_ms = trace_elapsed(&c->tr);
	if (c->role != ROLE_MAIN) {
		if (c->done)
			c->done(c->done_arg);
		return;
	}
	/* The connections are over (--resume's second one too): the common-suite probe when it
	 * is due, then fetch, then ask OCSP. */
	struct tls_client_config pc;
	if (!c->suite_probed && !c->cancelled && followup_suite_config(c, &pc)) {
		c->suite_probed = true;
		if (child_start(c, ROLE_SUITE_PROBE, &pc, NULL)) {
			c->n_followups++;
			return;
		}
	}
	if (!c->followups_started && !c->cancelled) {
		c->followups_started = true;
		if (followup_lookups_start(c, client_conclude))
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

/* The connection is over: close it, then resume (--resume), probe with SNI or conclude. */
static void client_finish(struct tls_client *c)
{
	if (c->phase == P_DONE)
		return;
	c->phase = P_DONE;
	loop_timer_cancel(c->loop, c->timer);
	c->timer = 0;
	bool resume = c->cfg.resume && c->role == ROLE_MAIN && !c->cancelled &&
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
		start_resume(c);
	else if (followup_should_probe_sni(c))
		start_sni_probe(c, true);
	else
		client_conclude(c);
}

/* ---- after the handshake: the steps of client_app.c, waited for here ---- */

static void on_http_timer(void *arg);

static void do_http(struct tls_client *c)
{
	for (;;) {
		enum app_next next = app_http_pump(c);
		if (next == APP_BODY_WAIT) {
			set_timer(c, util_now_ms() + POST_HANDSHAKE_CAP_MS, on_http_timer);
			continue;
		}
		if (next != APP_DONE) {
			watch(c, next == APP_WAIT_OUT ? POLLOUT : POLLIN, do_http);
			return;
		}
		app_http_end(c, false);
		client_finish(c);
		return;
	}
}

static void on_http_timer(void *arg)
{
	struct tls_client *c = arg;

	c->timer = 0;
	app_http_end(c, true);
	client_finish(c);
}

static void after_post_read(struct tls_client *c)
{
	if (app_http_wanted(c) && !c->tr.fatal_alert_seen && !c->rep->handshake.peer_closed) {
		c->phase = P_HTTP;
		app_http_begin(c);
		set_timer(c, c->deadline, on_http_timer);
		do_http(c);
	} else {
		client_finish(c);
	}
}

static void do_post_read(struct tls_client *c);

static void on_post_timer(void *arg)
{
	struct tls_client *c = arg;

	c->timer = 0;
	after_post_read(c);
}

static void do_post_read(struct tls_client *c)
{
	if (app_post_read(c) == APP_WAIT_IN)
		watch(c, POLLIN, do_post_read);
	else
		after_post_read(c);
}

/* ---- the handshake ---- */

static void fail_handshake(struct tls_client *c, int rc)
{
	struct tls_report *r = c->rep;

	r->handshake.status = HS_FAILED;
	r->handshake.gnutls_error = rc;
	if (c->role == ROLE_PROBE) {
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
	app_collect_chain(c);
	if (followup_should_probe_sni(c))
		start_sni_probe(c, false);
	else if (followup_should_probe(c))
		start_probes(c);
	else
		client_finish(c);
}

static void handshake_complete(struct tls_client *c)
{
	struct tls_report *r = c->rep;

	r->handshake.status = HS_COMPLETE;
	r->timing.handshake_ms =
		trace_elapsed(&c->tr) - (r->timing.connect_ms >= 0 ? r->timing.connect_ms : 0);
	app_collect_negotiated(c);
	trace_emit(&c->tr, EV_HANDSHAKE, NULL);
	app_collect_chain(c);
	if (c->role == ROLE_SNI_PROBE) {
		client_finish(c); /* the certificate is what it came for */
		return;
	}
	c->handshake_done_ms = trace_elapsed(&c->tr);
	c->wait_first_record =
		c->rep->client_auth.requested && !app_http_wanted(c) && c->role != ROLE_RESUME;
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

static void do_handshake(struct tls_client *c)
{
	short events;
	int rc = trace_handshake(&c->tr, &events);

	if (rc == 0)
		handshake_complete(c);
	else if (rc == 1)
		watch(c, events, do_handshake);
	else
		fail_handshake(c, rc);
}

/* A message of the main, resumption or SNI-probe connection: what it tells about the client
 * certificate and the ticket; each is a step. */
static int on_message(void *owner, enum tls_step_type type, bool taken, unsigned incoming,
		      const gnutls_datum_t *msg)
{
	struct tls_client *c = owner;

	(void)msg;
	if (!taken)
		return 0;
	if (incoming && type == STEP_CERTIFICATE_REQUEST)
		c->rep->client_auth.requested = true;
	if (incoming && type == STEP_NEW_SESSION_TICKET)
		c->ticket_seen = true;
	return 1;
}

static void start_handshake(struct tls_client *c)
{
	const struct tls_client_config *cfg = &c->cfg;
	struct session_config sc = {
		.role = SESSION_CLIENT,
		.prio = c->prio,
		.cred = c->cred,
		.creds = cfg->creds,
		.alpn = c->alpn,
		.n_alpn = c->n_alpn,
		.on_message = c->role == ROLE_PROBE ? followup_probe_message : on_message,
		.strict_vreq = cfg->strict ? &c->vreq : NULL,
		.peer_cert_required = true,
		.sni = c->rep->target.sni,
		.resume_data = c->resume_data,
		.force_client_cert = cfg->force_client_cert,
	};

	c->tr.defer_push_errors = true;
	int rc = session_init(&c->tr, &sc);
	if (rc < 0) {
		c->rep->handshake.gnutls_error = rc;
		trace_set_error(c->rep, "cannot set up the TLS session: %s", gnutls_strerror(rc));
		client_finish(c);
		return;
	}
	c->phase = P_HANDSHAKE;
	do_handshake(c);
}

/* ---- STARTTLS ---- */

static void do_starttls(struct tls_client *c);

static void do_starttls(struct tls_client *c)
{
	short events = POLLIN;
	int rc = starttls_run(c->st, &c->tr, &events);

	if (rc == 0) {
		loop_unwatch(c->loop, c->tr.fd);
		start_handshake(c);
	} else if (rc == 1) {
		watch(c, events, do_starttls);
	} else {
		client_finish(c);
	}
}

/* ---- the target's bytes flow (client_connect.c got us here) ---- */

static void on_deadline(void *arg);

static void reached(struct tls_client *c)
{
	set_timer(c, c->deadline, on_deadline);
	if (c->st) {
		c->phase = P_STARTTLS;
		do_starttls(c);
	} else {
		start_handshake(c);
	}
}

/* ---- deadlines ---- */

static void on_deadline(void *arg)
{
	struct tls_client *c = arg;

	c->timer = 0;
	switch (c->phase) {
	case P_RESOLVE:
	case P_CONNECT:
	case P_PROXY:
		reach_timeout(c);
		break;
	case P_HANDSHAKE:
		app_handshake_timeout(c);
		break;
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

	c->timer = loop_timer_add(c->loop, c->deadline, on_deadline, c);
	reach_start(c, reached, client_finish);
}

/* ---- setup ---- */

struct tls_client *client_start(struct loop *l, const struct tls_client_config *cfg,
				const struct tls_sink *sink, struct tls_report *report,
				void (*done)(void *arg), void *done_arg, struct tls_error *err)
{
	struct tls_client *c = xcalloc(1, sizeof(*c));

	c->loop = l;
	c->cfg = *cfg;
	/* The caller may free its strings while we run (or before client_free): keep copies. */
	const char **strs[] = {&c->cfg.host,	      &c->cfg.sni,	&c->cfg.verify_name,
			       &c->cfg.alpn,	      &c->cfg.priority, &c->cfg.http_path,
			       &c->cfg.keylog_path,   &c->cfg.starttls, &c->cfg.proxy,
			       &c->cfg.proxy_password};
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
	if (session_priority(cfg->priority, cfg->tls_max, &c->prio, err) < 0 ||
	    trace_alpn_list(cfg->alpn, c->alpn, &c->n_alpn, &c->alpn_buf, err) < 0 ||
	    (cfg->keylog_path && !(c->tr.keylog = trace_keylog_open(cfg->keylog_path, err))))
		goto fail;
	if (session_client_cred(&c->cred) < 0) {
		tls_error_set(err, "cannot allocate TLS credentials");
		goto fail;
	}
	if (app_starttls_setup(c, err) < 0 || reach_setup(c, err) < 0)
		goto fail;
	c->is_ip = target_is_ip(cfg->host);
	app_prepare_report(c);
	verify_request_init(&c->vreq, cfg->creds, report->target.verify_name,
			    GNUTLS_KP_TLS_WWW_SERVER, &report->policy);
	c->tr.t0 = util_now_ms();
	c->deadline = c->tr.t0 + (cfg->timeout_s > 0 ? cfg->timeout_s : 10.0) * 1000.0;
	c->timer = loop_timer_add(l, c->tr.t0, on_start, c);
	return c;
fail:
	client_free(c);
	return NULL;
}

/* ---- the child connections (DESIGN.md §5) ---- */

static void after_child(void *arg);

static void on_child_done(void *arg)
{
	struct tls_client *c = arg;

	/* The child is still on the stack: free it from the loop, not from here. */
	c->child.timer = loop_timer_add(c->loop, util_now_ms(), after_child, c);
}

/* Starts a child connection of c; false when the configuration is unusable (a probe's priority
 * string this GnuTLS cannot offer). The report is c->child.report unless given. */
static bool child_start(struct tls_client *c, enum client_role role,
			const struct tls_client_config *cfg, struct tls_report *report)
{
	struct tls_error err;

	if (!report) {
		report_init(&c->child.report, TLS_MODE_CONNECT);
		report = &c->child.report;
	}
	c->child.conn = client_start(c->loop, cfg, NULL, report, on_child_done, c, &err);
	if (!c->child.conn) {
		report_free(&c->child.report);
		return false;
	}
	c->child.role = role;
	c->child.conn->role = role == ROLE_SUITE_PROBE ? ROLE_PROBE : role;
	if (role == ROLE_RESUME)
		c->child.conn->resume_data = &c->session_data;
	return true;
}

/* Stops and frees the child connection (its report stays for the caller). Returns its role. */
static enum client_role child_end(struct tls_client *c)
{
	enum client_role role = c->child.role;

	loop_timer_cancel(c->loop, c->child.timer);
	c->child.timer = 0;
	if (c->child.conn)
		c->child.conn->done = NULL; /* stopping it says nothing to us */
	client_free(c->child.conn);
	c->child.conn = NULL;
	c->child.role = ROLE_MAIN;
	free(c->child.priority);
	c->child.priority = NULL;
	return role;
}

static void start_resume(struct tls_client *c)
{
	struct tls_client_config rc;

	c->rep->resumption = xcalloc(1, sizeof(*c->rep->resumption));
	report_init(c->rep->resumption, TLS_MODE_CONNECT);
	if (!followup_resume_config(c, &rc) ||
	    !child_start(c, ROLE_RESUME, &rc, c->rep->resumption)) {
		trace_set_error(c->rep->resumption, "no time left to resume");
		client_conclude(c);
	}
}

/* The first connection stops where it is: the follow-ups take over. */
static void stop_connection(struct tls_client *c)
{
	loop_timer_cancel(c->loop, c->timer);
	c->timer = 0;
	if (c->tr.fd >= 0) {
		loop_unwatch(c->loop, c->tr.fd);
		close(c->tr.fd);
		c->tr.fd = -1;
	}
}

static void next_probe(struct tls_client *c)
{
	struct tls_client_config pc;

	while (followup_probe_config(c, &pc, &c->child.priority)) {
		if (child_start(c, ROLE_PROBE, &pc, NULL)) {
			c->n_followups++;
			return;
		}
		/* This GnuTLS cannot offer that much: try the next stage. */
		free(c->child.priority);
		c->child.priority = NULL;
		c->probe_stage++;
	}
	client_finish(c);
}

static void start_probes(struct tls_client *c)
{
	stop_connection(c);
	c->probe_stage = 0;
	next_probe(c);
}

/* late: the first connection is over (from client_finish), and the probe ends in the
 * conclusion; else it ends in the version probes or client_finish. */
static void start_sni_probe(struct tls_client *c, bool late)
{
	struct tls_client_config pc;

	c->child.late = late;
	c->sni_probed = true;
	if (!late)
		stop_connection(c);
	followup_sni_config(c, &pc);
	if (child_start(c, ROLE_SNI_PROBE, &pc, NULL)) {
		c->n_followups++;
		return;
	}
	if (late)
		client_conclude(c);
	else
		client_finish(c);
}

/* A child is over: what it found, then what comes next. */
static void after_child(void *arg)
{
	struct tls_client *c = arg;
	bool late = c->child.late;

	c->child.timer = 0;
	switch (child_end(c)) {
	case ROLE_RESUME:
		/* The first handshake was a full one: negotiated.resumed stays false there; the
		 * second's is in c->rep->resumption. */
		client_conclude(c);
		return;
	case ROLE_PROBE:
		followup_probe_record(c);
		report_free(&c->child.report);
		next_probe(c);
		return;
	case ROLE_SNI_PROBE: {
		bool worked = followup_sni_record(c);
		report_free(&c->child.report);
		if (late) {
			client_conclude(c);
		} else if (!worked && followup_should_probe(c)) {
			c->probe_stage = 0;
			next_probe(c);
		} else {
			client_finish(c);
		}
		return;
	}
	case ROLE_SUITE_PROBE:
		followup_suite_record(c);
		report_free(&c->child.report);
		client_conclude(c);
		return;
	case ROLE_MAIN:
		break;
	}
}

/* ---- stopping ---- */

void client_cancel(struct tls_client *c)
{
	if (!c)
		return;
	c->cancelled = true;
	if (c->phase == P_DONE) {
		/* The first connection is over and a child runs (--resume's second connection, the
		 * late SNI probe): stopping it ends as it would have, and concludes us. */
		if (c->child.conn && c->child.role == ROLE_SUITE_PROBE) {
			/* Stopped unheard: a cancelled probe proves nothing about the suites. */
			child_end(c);
			report_free(&c->child.report);
			client_conclude(c);
		} else if (c->child.conn && c->child.role != ROLE_PROBE)
			client_cancel(c->child.conn);
		else if (followup_lookups_cancel(c))
			client_conclude(c);
		return;
	}
	/* A probe of a connection still in progress: it stops unheard. */
	if (c->child.conn) {
		child_end(c);
		report_free(&c->child.report);
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
	session_deinit(&c->tr);
	if (c->prio)
		gnutls_priority_deinit(c->prio);
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	child_end(c);
	report_free(&c->child.report); /* zeroed when no child holds it */
	free(c->alpn_buf);
	gnutls_free(c->session_data.data);
	if (c->tr.keylog)
		fclose(c->tr.keylog);
	starttls_free(c->st);
	reach_free(c);
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
