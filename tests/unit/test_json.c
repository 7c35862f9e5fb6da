/* The JSON report: every field of DESIGN.md §4 with its value format, and hostile strings
 * (escape sequences, invalid UTF-8) that stay present and travel as \u escapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sinks.h"
#include "testcert.h"
#include "tlsscope/chain.h"
#include "tlsscope/diagnose.h"

static json_t *parse(const struct tls_report *r)
{
	char *s = report_json_dump(r, true);
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	assert_non_null(j);
	/* ASCII only on the wire: no raw control or non-ASCII byte. */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	assert_null(strchr(s, '\n'));
	free(s);
	return j;
}

static const char *str_at(json_t *j, const char *path)
{
	json_t *cur = j;
	char buf[256];

	strncpy(buf, path, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(cur))
			cur = json_array_get(cur, (size_t)atoi(tok));
		else
			cur = json_object_get(cur, tok);
		assert_non_null(cur);
	}
	return json_is_string(cur) ? json_string_value(cur) : NULL;
}

static json_t *finding(json_t *j, const char *id)
{
	json_t *list = json_object_get(j, "findings");

	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *f = json_array_get(list, i);
		if (strcmp(json_string_value(json_object_get(f, "id")), id) == 0)
			return f;
	}
	fail_msg("finding %s is missing", id);
	return NULL;
}

static void fill_report(struct tls_report *r, gnutls_x509_crt_t leaf)
{
	report_init(r, TLS_MODE_CONNECT);
	r->target.host = xstrdup("localhost");
	r->target.port = 4433;
	r->target.address = xstrdup("127.0.0.1");
	r->target.sni = xstrdup("localhost");
	r->target.verify_name = xstrdup("localhost");
	r->timing.resolve_ms = 0.12;
	r->timing.connect_ms = 0.5;
	r->timing.handshake_ms = 3.25;
	r->timing.total_ms = 4;
	r->handshake.status = HS_COMPLETE;
	report_add_step(r, 0.4, TLS_DIR_SENT, STEP_CLIENT_HELLO, "300 bytes");
	report_add_step(r, 1.5, TLS_DIR_RECEIVED, STEP_SERVER_HELLO, NULL);
	r->handshake.alert_received = (struct tls_alert){.present = true, .level = 2, .code = 116};
	r->negotiated.present = true;
	r->negotiated.version = xstrdup("TLS1.3");
	r->negotiated.cipher_suite = xstrdup("TLS_AES_128_GCM_SHA256");
	r->chain = xcalloc(1, sizeof(*r->chain));
	r->n_chain = 1;
	chain_describe(leaf, 0, &r->chain[0]);
	r->verification.done = true;
	r->verification.trusted = false;
	r->verification.gnutls_status = 0x42;
	strlist_add(&r->verification.reasons, "issuer-not-found");
	r->verification.hostname.checked = true;
	r->verification.hostname.name = xstrdup("localhost");
	r->verification.hostname.match = true;
	r->verification.hostname.matched_by = "san";
}

static void test_shape_and_formats(void **state)
{
	struct testcert_spec spec = {
		.cn = "localhost", .dns = {"localhost"}, .ip = {"127.0.0.1"}, .server_auth = true};
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt = testcert_make(&spec, NULL, NULL, &key);
	struct tls_report r;
	(void)state;

	fill_report(&r, crt);
	diagnose_connect(&r);
	json_t *j = parse(&r);
	static const char *const top[] = {"tlsscope",	 "mode",       "target",     "timing",
					  "handshake",	 "negotiated", "peer_chain", "verification",
					  "client_auth", "http",       "findings",   "verdict"};
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		assert_non_null(json_object_get(j, top[i]));
	assert_string_equal(str_at(j, "mode"), "connect");
	assert_string_equal(str_at(j, "handshake.status"), "complete");
	assert_string_equal(str_at(j, "handshake.steps.0.type"), "ClientHello");
	assert_string_equal(str_at(j, "handshake.steps.1.dir"), "received");
	assert_true(json_is_null(json_object_get(
		json_array_get(json_object_get(json_object_get(j, "handshake"), "steps"), 1),
		"detail")));
	assert_string_equal(str_at(j, "handshake.alert_received.name"), "certificate_required");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(j, "handshake"), "alert_received"),
				 "code")),
			 116);
	assert_string_equal(str_at(j, "negotiated.version"), "TLS1.3");
	assert_string_equal(str_at(j, "peer_chain.0.serial_hex"), "0102");
	assert_string_equal(str_at(j, "peer_chain.0.serial_dec"), "258");
	assert_string_equal(str_at(j, "peer_chain.0.san.0"), "DNS:localhost");
	assert_string_equal(str_at(j, "peer_chain.0.san.1"), "IP:127.0.0.1");
	const char *nb = str_at(j, "peer_chain.0.not_before");
	assert_int_equal(strlen(nb), 20);
	assert_int_equal(nb[10], 'T');
	assert_int_equal(nb[19], 'Z');
	assert_string_equal(str_at(j, "verification.hostname.matched_by"), "san");
	assert_true(json_is_null(json_object_get(j, "http")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "client_auth"), "accepted")));
	/* An untrusted self-signed leaf gives self-signed, tied to certificate 0; the fatal alert
	 * after the handshake is reported too (all findings, not the first). */
	json_t *f = finding(j, "self-signed");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "error");
	assert_string_equal(json_string_value(json_object_get(f, "subject")), "server-chain");
	assert_int_equal(json_integer_value(json_object_get(f, "cert_index")), 0);
	assert_non_null(finding(j, "alert-received"));
	assert_string_equal(str_at(j, "peer_chain.0.status.0"), "self-signed");
	assert_string_equal(str_at(j, "verdict"), "fail");
	json_t *t = json_object_get(j, "timing");
	assert_true(json_real_value(json_object_get(t, "handshake_ms")) > 3.1);
	json_decref(j);
	report_free(&r);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static void test_hostile_strings_survive_escaped(void **state)
{
	struct testcert_spec spec = {.cn = "evil\x1b[2J\xc2\x9b\xe2\x80\xae"};
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt = testcert_make(&spec, NULL, NULL, &key);
	struct tls_report r;
	(void)state;

	fill_report(&r, crt);
	free(r.handshake.steps[0].detail);
	r.handshake.steps[0].detail = xstrdup("bad\xff utf8");
	char *s = report_json_dump(&r, true);
	/* jansson writes \\u escapes in upper case. */
	assert_non_null(strcasestr(s, "\\u001b[2J\\u009b\\u202e"));
	assert_non_null(strcasestr(s, "bad\\ufffd utf8"));
	free(s);
	report_free(&r);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static void test_not_started_report_has_nulls(void **state)
{
	struct tls_report r;
	(void)state;

	report_init(&r, TLS_MODE_CONNECT);
	r.target.host = xstrdup("127.0.0.1");
	r.target.port = 1;
	r.handshake.sys_errno = ECONNREFUSED;
	r.handshake.error = xstrdup("refused");
	diagnose_connect(&r);
	json_t *j = parse(&r);
	assert_string_equal(str_at(j, "handshake.status"), "not-started");
	assert_true(json_is_null(json_object_get(j, "negotiated")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "timing"), "connect_ms")));
	assert_int_equal(json_array_size(json_object_get(j, "peer_chain")), 0);
	assert_string_equal(str_at(j, "findings.0.id"), "connection-refused");
	assert_true(json_is_null(
		json_object_get(json_array_get(json_object_get(j, "findings"), 0), "cert_index")));
	json_decref(j);
	report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_and_formats),
		cmocka_unit_test(test_hostile_strings_survive_escaped),
		cmocka_unit_test(test_not_started_report_has_nulls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
