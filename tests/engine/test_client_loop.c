/* The client engine on its loop, against sockets made here: a listener that never answers
 * (the deadline fires on time and the loop keeps running meanwhile), a closed port, an
 * unusable configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testcert.h"
#include "tlsscope/engine.h"

/* A socket that listens but never accepts: the kernel completes TCP, nobody speaks TLS. */
static int silent_listener(unsigned *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

struct ticker {
	struct loop *loop;
	int ticks;
	bool done;
};

static void tick(void *arg)
{
	struct ticker *t = arg;

	t->ticks++;
	if (!t->done)
		loop_timer_add(t->loop, util_now_ms() + 20, tick, t);
}

static void on_done(void *arg)
{
	struct ticker *t = arg;

	t->done = true;
	loop_stop(t->loop);
}

static struct tls_client_config config(struct tls_creds *creds, unsigned port, double timeout)
{
	return (struct tls_client_config){.host = "127.0.0.1",
					  .port = port,
					  .timeout_s = timeout,
					  .http = HTTP_OFF,
					  .creds = creds};
}

static void test_stalled_handshake_times_out_at_deadline_without_blocking_loop(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port);
	struct tls_creds *creds = creds_new();
	struct tls_client_config cfg = config(creds, port, 1.0);
	struct tls_report r;
	struct tls_error err = {{0}};
	struct ticker t = {.loop = loop_new()};
	(void)state;

	report_init(&r, TLS_MODE_CONNECT);
	struct tls_client *c = client_start(t.loop, &cfg, NULL, &r, on_done, &t, &err);
	assert_non_null(c);
	loop_timer_add(t.loop, util_now_ms() + 20, tick, &t);
	double t0 = util_now_ms();
	loop_run(t.loop);
	double took = util_now_ms() - t0;

	assert_true(t.done);
	assert_int_equal(r.handshake.status, HS_TIMEOUT);
	assert_true(took >= 990 && took < 1500);
	/* The loop kept serving other work: ~50 ticks of 20 ms in one second. */
	assert_true(t.ticks >= 25);
	assert_true(r.handshake.n_steps >= 1);
	assert_int_equal(r.handshake.steps[0].type, STEP_CLIENT_HELLO);
	assert_true(r.handshake.steps[r.handshake.n_steps - 1].failure_point);
	assert_true(report_has_finding(&r, "handshake-timeout"));
	assert_false(r.verdict_ok);
	client_free(c);
	loop_free(t.loop);
	report_free(&r);
	creds_free(creds);
	close(lfd);
}

static void test_closed_port_is_refused(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port);
	struct tls_creds *creds = creds_new();
	struct tls_report r;
	struct tls_error err = {{0}};
	(void)state;

	close(lfd); /* nothing listens there now */
	struct tls_client_config cfg = config(creds, port, 5.0);
	report_init(&r, TLS_MODE_CONNECT);
	assert_int_equal(client_run(&cfg, NULL, &r, &err), 0);
	assert_int_equal(r.handshake.status, HS_NOT_STARTED);
	assert_true(report_has_finding(&r, "connection-refused"));
	assert_true(r.timing.total_ms < 1000);
	assert_int_equal(r.handshake.n_steps, 0);
	report_free(&r);
	creds_free(creds);
}

static void test_bad_priority_is_a_config_error(void **state)
{
	struct tls_creds *creds = creds_new();
	struct tls_client_config cfg = config(creds, 443, 5.0);
	struct tls_report r;
	struct tls_error err = {{0}};
	(void)state;

	cfg.priority = "NORMAL:+NO-SUCH-THING";
	report_init(&r, TLS_MODE_CONNECT);
	assert_int_equal(client_run(&cfg, NULL, &r, &err), -1);
	assert_non_null(strstr(err.msg, "priority"));
	cfg.priority = NULL;
	cfg.alpn = ",";
	assert_int_equal(client_run(&cfg, NULL, &r, &err), -1);
	assert_non_null(strstr(err.msg, "ALPN"));
	report_free(&r);
	creds_free(creds);
}

struct counter {
	int steps, done;
	enum tls_event_type last;
};

static void count_events(void *ctx, const struct tls_event *ev)
{
	struct counter *k = ctx;

	if (ev->type == EV_STEP)
		k->steps++;
	if (ev->type == EV_DONE)
		k->done++;
	k->last = ev->type;
}

static void test_events_reach_the_sink_and_done_comes_last(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port);
	struct tls_creds *creds = creds_new();
	struct tls_client_config cfg = config(creds, port, 0.3);
	struct tls_report r;
	struct tls_error err = {{0}};
	struct counter k = {0};
	struct tls_sink sink = {.fn = count_events, .ctx = &k};
	(void)state;

	report_init(&r, TLS_MODE_CONNECT);
	assert_int_equal(client_run(&cfg, &sink, &r, &err), 0);
	assert_int_equal(k.done, 1);
	assert_int_equal(k.last, EV_DONE);
	assert_int_equal((size_t)k.steps, r.handshake.n_steps);
	report_free(&r);
	creds_free(creds);
	close(lfd);
}

static void stop_soon(void *arg)
{
	loop_stop(arg);
}

/* The caller's configuration strings may be gone by the time the client is cancelled and
 * freed (engine.h: the engine keeps copies), and a cancel during a --resume run starts no
 * resumption connection. Under ASan the first half is a use-after-free without the copies. */
static void test_cancel_with_caller_strings_freed_starts_no_resumption(void **state)
{
	unsigned port;
	int lfd = silent_listener(&port);
	struct tls_creds *creds = creds_new();
	struct tls_client_config cfg = config(creds, port, 5.0);
	struct tls_report r;
	struct tls_error err = {{0}};
	struct loop *l = loop_new();
	char *host = strdup("127.0.0.1"), *path = strdup("/x"), *prio = strdup("NORMAL");
	(void)state;

	cfg.host = host;
	cfg.http_path = path;
	cfg.priority = prio;
	cfg.resume = true;
	report_init(&r, TLS_MODE_CONNECT);
	struct tls_client *c = client_start(l, &cfg, NULL, &r, NULL, NULL, &err);
	assert_non_null(c);
	loop_timer_add(l, util_now_ms() + 200, stop_soon, l);
	loop_run(l); /* the handshake stalls: the listener never answers */
	memset(host, 'x', strlen(host));
	free(host);
	free(path);
	free(prio);
	client_cancel(c);
	assert_null(r.resumption);
	assert_non_null(strstr(r.handshake.error, "cancelled"));
	client_free(c);
	assert_null(r.resumption);
	loop_free(l);
	report_free(&r);
	creds_free(creds);
	close(lfd);
}

/* A TLS server on a thread of its own that completes one handshake and then says nothing
 * until the test ends it: a client asking for HTTP waits there for an answer. */
struct mute_server {
	int lfd, quit[2];
	unsigned port;
	gnutls_certificate_credentials_t cred;
	pthread_t thread;
	int handshake_rc;
};

static void *mute_serve(void *arg)
{
	struct mute_server *m = arg;
	gnutls_session_t s;
	char c;
	int fd = accept(m->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, m->cred);
	gnutls_transport_set_int(s, fd);
	do
		m->handshake_rc = gnutls_handshake(s);
	while (m->handshake_rc < 0 && !gnutls_error_is_fatal(m->handshake_rc));
	if (read(m->quit[0], &c, 1) < 0) /* until the test is over */
		c = 0;
	gnutls_deinit(s);
	close(fd);
	return NULL;
}

static void mute_start(struct mute_server *m)
{
	struct testcert_spec spec = {.cn = "mute.test", .dns = {"mute.test"}, .server_auth = true};
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt = testcert_make(&spec, NULL, NULL, &key);

	m->lfd = silent_listener(&m->port);
	assert_int_equal(pipe(m->quit), 0);
	assert_int_equal(gnutls_certificate_allocate_credentials(&m->cred), 0);
	assert_int_equal(gnutls_certificate_set_x509_key(m->cred, &crt, 1, key), 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	m->handshake_rc = 1;
	assert_int_equal(pthread_create(&m->thread, NULL, mute_serve, m), 0);
}

static void mute_stop(struct mute_server *m)
{
	assert_int_equal(write(m->quit[1], "x", 1), 1);
	pthread_join(m->thread, NULL);
	close(m->quit[0]);
	close(m->quit[1]);
	close(m->lfd);
	gnutls_certificate_free_credentials(m->cred);
}

struct at_handshake {
	struct loop *loop;
	int handshakes;
};

static void stop_at_handshake(void *ctx, const struct tls_event *ev)
{
	struct at_handshake *h = ctx;

	if (ev->type == EV_HANDSHAKE && ev->report->handshake.status == HS_COMPLETE) {
		h->handshakes++;
		loop_stop(h->loop);
	}
}

/* Esc during a --resume run once the first handshake is done (the client waits for its HTTP
 * answer): the report ends "cancelled" and no resumption connection starts, neither at the
 * cancel nor when the client is freed. Every run must hold (the loop's order decides nothing
 * here: the server never answers). */
static void test_cancel_after_the_handshake_starts_no_resumption(void **state)
{
	(void)state;

	for (int run = 0; run < 5; run++) {
		struct mute_server m;
		struct tls_creds *creds = creds_new();
		struct tls_report r;
		struct tls_error err = {{0}};
		struct at_handshake h = {.loop = loop_new()};
		struct tls_sink sink = {.fn = stop_at_handshake, .ctx = &h};

		mute_start(&m);
		struct tls_client_config cfg = config(creds, m.port, 5.0);
		cfg.resume = true;
		cfg.http = HTTP_ON;
		cfg.tls_max = 12; /* the session to resume is there at the end of the handshake */
		report_init(&r, TLS_MODE_CONNECT);
		struct tls_client *c = client_start(h.loop, &cfg, &sink, &r, NULL, NULL, &err);
		assert_non_null(c);
		loop_run(h.loop); /* until the handshake is complete */
		assert_int_equal(h.handshakes, 1);
		assert_int_equal(r.handshake.status, HS_COMPLETE);
		assert_null(r.resumption);
		client_cancel(c);
		assert_non_null(r.handshake.error);
		assert_non_null(strstr(r.handshake.error, "cancelled"));
		assert_null(r.resumption);
		loop_timer_add(h.loop, util_now_ms() + 100, stop_soon, h.loop);
		loop_run(h.loop); /* nothing may start meanwhile */
		client_free(c);
		assert_null(r.resumption);
		assert_int_equal(h.handshakes, 1);
		loop_free(h.loop);
		report_free(&r);
		creds_free(creds);
		mute_stop(&m);
	}
}

static void stop_when_done(void *arg)
{
	loop_stop(arg);
}

/* engine.h: the caller may free its configuration strings once client_start returns. The
 * HTTP request, made after the handshake, still names the path and host given: the engine
 * reads its own copies (without them this reads freed memory: wrong words here, a
 * use-after-free under ASan). */
static void test_caller_strings_freed_at_once_are_not_read(void **state)
{
	struct mute_server m;
	struct tls_creds *creds = creds_new();
	struct tls_report r;
	struct tls_error err = {{0}};
	struct loop *l = loop_new();
	char *host = strdup("127.0.0.1"), *path = strdup("/asked-for"), *alpn = strdup("http/1.1");
	(void)state;

	mute_start(&m);
	struct tls_client_config cfg = config(creds, m.port, 1.0);
	cfg.host = host;
	cfg.http_path = path;
	cfg.alpn = alpn;
	cfg.http = HTTP_ON;
	report_init(&r, TLS_MODE_CONNECT);
	struct tls_client *c = client_start(l, &cfg, NULL, &r, stop_when_done, l, &err);
	assert_non_null(c);
	memset(host, 'x', strlen(host));
	memset(path, 'x', strlen(path));
	memset(alpn, 'x', strlen(alpn));
	free(host);
	free(path);
	free(alpn);
	loop_run(l); /* handshake, request, no answer: over at the 1 s deadline */
	assert_int_equal(r.handshake.status, HS_COMPLETE);
	assert_non_null(r.http.request_path);
	assert_string_equal(r.http.request_path, "/asked-for");
	assert_string_equal(r.target.host, "127.0.0.1");
	client_free(c);
	loop_free(l);
	report_free(&r);
	creds_free(creds);
	mute_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_stalled_handshake_times_out_at_deadline_without_blocking_loop),
		cmocka_unit_test(test_closed_port_is_refused),
		cmocka_unit_test(test_bad_priority_is_a_config_error),
		cmocka_unit_test(test_events_reach_the_sink_and_done_comes_last),
		cmocka_unit_test(test_cancel_with_caller_strings_freed_starts_no_resumption),
		cmocka_unit_test(test_cancel_after_the_handshake_starts_no_resumption),
		cmocka_unit_test(test_caller_strings_freed_at_once_are_not_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
