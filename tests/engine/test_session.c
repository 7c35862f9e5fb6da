/* A client and a server session of the engine's session module driven against each other over
 * memory, without sockets (the shape of GnuTLS's tests/eagain-common.h): a full TLS 1.3 and
 * TLS 1.2 handshake with a client certificate and --strict on both sides, then what the record
 * reader makes of data, a fatal alert, close_notify and a connection that just ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"
#include "testcert.h"
#include "tlsscope/creds.h"
#include "tlsscope/report.h"
#include "tlsscope/verify.h"

/* One direction of the pair: bytes written by one side, read by the other. */
struct pipe {
	unsigned char buf[256 * 1024];
	size_t len;
	bool closed; /* the writer is gone: an empty pipe reads as the end */
};

struct end {
	struct pipe *in, *out;
};

static ssize_t mem_pull(void *ctx, void *buf, size_t len)
{
	struct end *e = ctx;

	if (e->in->len == 0) {
		if (e->in->closed)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	size_t n = len < e->in->len ? len : e->in->len;
	memcpy(buf, e->in->buf, n);
	memmove(e->in->buf, e->in->buf + n, e->in->len - n);
	e->in->len -= n;
	return (ssize_t)n;
}

static ssize_t mem_push(void *ctx, const void *buf, size_t len)
{
	struct end *e = ctx;

	if (e->out->len + len > sizeof(e->out->buf)) {
		errno = EAGAIN;
		return -1;
	}
	memcpy(e->out->buf + e->out->len, buf, len);
	e->out->len += len;
	return (ssize_t)len;
}

static int mem_wait(void *ctx)
{
	const struct end *e = ctx;
	return e->in->len > 0 || e->in->closed;
}

/* Certificates and keys written as PEM into a directory of the test's own, loaded the way the
 * command line loads them. */
struct pki {
	char dir[64];
	struct tls_creds *server, *client;
};

static void write_pem(const char *dir, const char *name, gnutls_x509_crt_t crt,
		      gnutls_x509_privkey_t key, char *path, size_t len)
{
	gnutls_datum_t d = {0};
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	if (crt)
		assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d), 0);
	else
		assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d), 0);
	assert_int_equal(fwrite(d.data, 1, d.size, f), d.size);
	fclose(f);
	gnutls_free(d.data);
}

static struct tls_creds *load(const char *dir, const char *name, gnutls_x509_crt_t crt,
			      gnutls_x509_privkey_t key, gnutls_x509_crt_t ca)
{
	struct tls_creds *c = creds_new();
	struct tls_error err = {{0}};
	char cert_path[128], key_path[128], buf[64];

	snprintf(buf, sizeof(buf), "%s.crt", name);
	write_pem(dir, buf, crt, NULL, cert_path, sizeof(cert_path));
	snprintf(buf, sizeof(buf), "%s.key", name);
	write_pem(dir, buf, NULL, key, key_path, sizeof(key_path));
	assert_int_equal(creds_set_identity(c, cert_path, key_path, NULL, &err), 0);
	assert_int_equal(creds_add_ca_certs(c, &ca, 1, &err), 0);
	return c;
}

/* A CA, a server certificate for server.test and a client certificate from that CA; when
 * stranger, the client's comes from another CA, which the server does not trust. */
static void pki_make(struct pki *p, bool stranger)
{
	gnutls_x509_privkey_t ca_key, other_key, srv_key, cli_key;
	struct testcert_spec ca_spec = {.cn = "Memory CA", .ca = true};
	struct testcert_spec other_spec = {.cn = "Other CA", .ca = true};
	struct testcert_spec srv_spec = {
		.cn = "server.test", .dns = {"server.test"}, .server_auth = true};
	struct testcert_spec cli_spec = {.cn = "client one", .client_auth = true};
	gnutls_x509_crt_t ca = testcert_make(&ca_spec, NULL, NULL, &ca_key);
	gnutls_x509_crt_t other = testcert_make(&other_spec, NULL, NULL, &other_key);
	gnutls_x509_crt_t srv = testcert_make(&srv_spec, ca, ca_key, &srv_key);
	gnutls_x509_crt_t cli = testcert_make(&cli_spec, stranger ? other : ca,
					      stranger ? other_key : ca_key, &cli_key);

	snprintf(p->dir, sizeof(p->dir), "/tmp/tlsscope-session-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	p->server = load(p->dir, "server", srv, srv_key, ca);
	p->client = load(p->dir, "client", cli, cli_key, ca);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(other);
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_crt_deinit(cli);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(other_key);
	gnutls_x509_privkey_deinit(srv_key);
	gnutls_x509_privkey_deinit(cli_key);
}

static void pki_free(struct pki *p)
{
	const char *names[] = {"server.crt", "server.key", "client.crt", "client.key"};
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->dir, names[i]);
		unlink(path);
	}
	rmdir(p->dir);
	creds_free(p->server);
	creds_free(p->client);
}

/* Both sides of one connection. */
struct pair {
	struct pki pki;
	struct pipe c2s, s2c;
	struct end cend, send;
	struct tls_trace ct, st;
	struct tls_report crep, srep;
	gnutls_priority_t cprio, sprio;
	gnutls_certificate_credentials_t ccred;
	gnutls_datum_t ticket_key;
	struct verify_request cvreq, svreq;
	int crc, src; /* the handshakes' results: 0 done, else the error */
};

static void pair_init(struct pair *p, int tls_max, bool stranger)
{
	struct tls_error err = {{0}};
	struct tls_policy policy = {
		.check_hostname = true, .min_rsa_bits = 2048, .min_ec_bits = 224};

	memset(p, 0, sizeof(*p));
	pki_make(&p->pki, stranger);
	p->cend = (struct end){.in = &p->s2c, .out = &p->c2s};
	p->send = (struct end){.in = &p->c2s, .out = &p->s2c};
	report_init(&p->crep, TLS_MODE_CONNECT);
	report_init(&p->srep, TLS_MODE_LISTEN);
	assert_int_equal(session_priority(NULL, tls_max, &p->cprio, &err), 0);
	assert_int_equal(session_priority(NULL, 0, &p->sprio, &err), 0);
	assert_int_equal(session_client_cred(&p->ccred), 0);
	assert_int_equal(gnutls_session_ticket_key_generate(&p->ticket_key), 0);
	verify_request_init(&p->cvreq, p->pki.client, "server.test", GNUTLS_KP_TLS_WWW_SERVER,
			    &policy);
	policy.check_hostname = false;
	verify_request_init(&p->svreq, p->pki.server, NULL, GNUTLS_KP_TLS_WWW_CLIENT, &policy);

	struct tls_transport cio = {&p->cend, mem_pull, mem_push, mem_wait};
	struct tls_transport sio = {&p->send, mem_pull, mem_push, mem_wait};
	p->ct = (struct tls_trace){.rep = &p->crep, .fd = -1, .owner = p, .io = cio};
	p->st = (struct tls_trace){.rep = &p->srep, .fd = -1, .owner = p, .io = sio};
	struct session_config cc = {.role = SESSION_CLIENT,
				    .prio = p->cprio,
				    .cred = p->ccred,
				    .creds = p->pki.client,
				    .strict_vreq = &p->cvreq,
				    .peer_cert_required = true,
				    .sni = "server.test",
				    .force_client_cert = stranger};
	struct session_config sc = {.role = SESSION_SERVER,
				    .prio = p->sprio,
				    .cred = p->pki.server->cred,
				    .creds = p->pki.server,
				    .strict_vreq = &p->svreq,
				    .peer_cert_required = true,
				    .client_cert = CLIENT_CERT_REQUIRE,
				    .ticket_key = &p->ticket_key};
	assert_int_equal(session_init(&p->ct, &cc), 0);
	assert_int_equal(session_init(&p->st, &sc), 0);
}

static void pair_free(struct pair *p)
{
	session_deinit(&p->ct);
	session_deinit(&p->st);
	gnutls_priority_deinit(p->cprio);
	gnutls_priority_deinit(p->sprio);
	gnutls_certificate_free_credentials(p->ccred);
	gnutls_free(p->ticket_key.data);
	report_free(&p->crep);
	report_free(&p->srep);
	pki_free(&p->pki);
}

/* Steps both handshakes in turn until each has ended (or a bound of rounds has passed). */
static void pair_handshake(struct pair *p)
{
	short events;
	bool cdone = false, sdone = false;

	p->crc = p->src = 1;
	for (int round = 0; round < 100 && !(cdone && sdone); round++) {
		if (!cdone && (p->crc = trace_handshake(&p->ct, &events)) != 1)
			cdone = true;
		if (!sdone && (p->src = trace_handshake(&p->st, &events)) != 1)
			sdone = true;
	}
}

static bool has_step(const struct tls_report *r, enum tls_dir dir, enum tls_step_type type)
{
	for (size_t i = 0; i < r->handshake.n_steps; i++)
		if (r->handshake.steps[i].dir == dir && r->handshake.steps[i].type == type)
			return true;
	return false;
}

/* What both sides saw of a handshake with a client certificate. */
static void check_handshake(struct pair *p, gnutls_protocol_t version)
{
	unsigned n = 0;

	assert_int_equal(p->crc, 0);
	assert_int_equal(p->src, 0);
	assert_int_equal(gnutls_protocol_get_version(p->ct.s), version);
	assert_int_equal(gnutls_protocol_get_version(p->st.s), version);
	/* The certificate callback answered the server's request with our identity. */
	assert_true(p->crep.client_auth.requested);
	assert_false(p->crep.client_auth.issuer_unlisted);
	assert_non_null(gnutls_certificate_get_ours(p->ct.s));
	assert_non_null(gnutls_certificate_get_peers(p->st.s, &n));
	assert_int_equal(n, 1);
	assert_non_null(gnutls_certificate_get_ours(p->st.s));
	/* The hook made one step per message, each side from its own view. */
	assert_int_equal(p->crep.handshake.steps[0].type, STEP_CLIENT_HELLO);
	assert_int_equal(p->crep.handshake.steps[0].dir, TLS_DIR_SENT);
	assert_int_equal(p->srep.handshake.steps[0].type, STEP_CLIENT_HELLO);
	assert_int_equal(p->srep.handshake.steps[0].dir, TLS_DIR_RECEIVED);
	assert_true(has_step(&p->crep, TLS_DIR_RECEIVED, STEP_SERVER_HELLO));
	assert_true(has_step(&p->crep, TLS_DIR_RECEIVED, STEP_CERTIFICATE_REQUEST));
	assert_true(has_step(&p->crep, TLS_DIR_SENT, STEP_CERTIFICATE));
	assert_true(has_step(&p->srep, TLS_DIR_SENT, STEP_SERVER_HELLO));
	assert_true(has_step(&p->srep, TLS_DIR_SENT, STEP_CERTIFICATE_REQUEST));
	assert_true(has_step(&p->srep, TLS_DIR_RECEIVED, STEP_CERTIFICATE));
	assert_true(has_step(&p->srep, TLS_DIR_RECEIVED, STEP_FINISHED));
	assert_true(p->crep.handshake.n_first_bytes > 0);
	assert_int_equal(p->crep.handshake.first_bytes[0], 22); /* a handshake record */
}

/* One read as a poll loop makes it: AGAIN while the transport still has bytes (a TLS 1.3
 * ticket taken in passing) means "readable: call again". */
static enum session_read read_one(struct tls_trace *t, char *buf, size_t len, size_t *n, int *rc)
{
	enum session_read k;

	while ((k = session_read(t, buf, len, n, rc)) == SESSION_AGAIN && t->io.wait(t->io.ctx))
		;
	return k;
}

/* Data both ways, then a fatal alert from the server: DATA, AGAIN, ALERT. */
static void check_records(struct pair *p)
{
	char buf[64];
	size_t n;
	int rc;

	/* TLS 1.3: the server's tickets come first; the reader takes them in passing. */
	assert_int_equal(read_one(&p->ct, buf, sizeof(buf), &n, &rc), SESSION_AGAIN);
	assert_int_equal(gnutls_record_send(p->ct.s, "ping", 4), 4);
	assert_int_equal(read_one(&p->st, buf, sizeof(buf), &n, &rc), SESSION_DATA);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(read_one(&p->st, buf, sizeof(buf), &n, &rc), SESSION_AGAIN);
	assert_int_equal(gnutls_record_send(p->st.s, "pong", 4), 4);
	assert_int_equal(read_one(&p->ct, buf, sizeof(buf), &n, &rc), SESSION_DATA);
	assert_memory_equal(buf, "pong", 4);
	assert_int_equal(gnutls_alert_send(p->st.s, GNUTLS_AL_FATAL, GNUTLS_A_ACCESS_DENIED), 0);
	assert_int_equal(read_one(&p->ct, buf, sizeof(buf), &n, &rc), SESSION_ALERT);
	assert_true(p->crep.handshake.alert_received.present);
	assert_int_equal(p->crep.handshake.alert_received.code, GNUTLS_A_ACCESS_DENIED);
	assert_true(p->crep.handshake.post_handshake_alert);
	assert_true(p->ct.fatal_alert_seen);
	assert_true(has_step(&p->crep, TLS_DIR_RECEIVED, STEP_ALERT));
}

static void test_tls13_handshake_over_memory_with_client_certificate(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	char buf[64];
	size_t n;
	int rc;
	(void)state;

	pair_init(p, 0, false);
	pair_handshake(p);
	check_handshake(p, GNUTLS_TLS1_3);
	assert_true(has_step(&p->srep, TLS_DIR_SENT, STEP_ENCRYPTED_EXTENSIONS));
	check_records(p);
	/* close_notify from the client: EOF on the server. */
	assert_int_equal(gnutls_bye(p->ct.s, GNUTLS_SHUT_WR), 0);
	assert_int_equal(read_one(&p->st, buf, sizeof(buf), &n, &rc), SESSION_EOF);
	pair_free(p);
	free(p);
}

static void test_tls12_handshake_over_memory_with_client_certificate(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	char buf[64];
	size_t n;
	int rc;
	(void)state;

	pair_init(p, 12, false);
	pair_handshake(p);
	check_handshake(p, GNUTLS_TLS1_2);
	assert_true(has_step(&p->srep, TLS_DIR_RECEIVED, STEP_CLIENT_KEY_EXCHANGE));
	assert_true(has_step(&p->srep, TLS_DIR_RECEIVED, STEP_CERTIFICATE_VERIFY));
	check_records(p);
	/* The client just goes away, without close_notify: TRANSPORT on the server. */
	p->c2s.closed = true;
	assert_int_equal(read_one(&p->st, buf, sizeof(buf), &n, &rc), SESSION_TRANSPORT);
	assert_int_equal(rc, GNUTLS_E_PREMATURE_TERMINATION);
	pair_free(p);
	free(p);
}

/* --strict on the server: a client certificate from a CA it does not trust (sent anyway, as
 * --force-client-cert does) is refused in the verify callback. In TLS 1.3 the client is done
 * before the server judges its certificate: it hears the refusal as an alert after the
 * handshake, which the record reader classifies. */
static void test_strict_server_refuses_an_untrusted_client_certificate(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	char buf[64];
	size_t n;
	int rc;
	(void)state;

	pair_init(p, 0, true);
	pair_handshake(p);
	assert_int_equal(p->crc, 0);
	assert_int_equal(p->src, GNUTLS_E_CERTIFICATE_ERROR);
	assert_true(p->crep.client_auth.requested);
	assert_true(p->crep.client_auth.issuer_unlisted);
	assert_false(p->crep.client_auth.issuer_not_acceptable);
	assert_true(trace_send_alert(&p->st, p->src));
	assert_int_equal(read_one(&p->ct, buf, sizeof(buf), &n, &rc), SESSION_ALERT);
	assert_true(p->crep.handshake.post_handshake_alert);
	assert_int_equal(p->crep.handshake.alert_received.code, p->srep.handshake.alert_sent.code);
	pair_free(p);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls13_handshake_over_memory_with_client_certificate),
		cmocka_unit_test(test_tls12_handshake_over_memory_with_client_certificate),
		cmocka_unit_test(test_strict_server_refuses_an_untrusted_client_certificate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
