/* TUI views render a report into lines without a terminal: the timeline, the chain with a mark
 * per check on the right certificate, findings, certificate detail, word wrap, escaping of
 * hostile certificate text, and the key table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "list.h"
#include "screen.h"
#include "testcert.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/verify.h"
#include "views.h"

struct fixture {
	gnutls_x509_crt_t ca, leaf;
	gnutls_x509_privkey_t ca_key, leaf_key;
	struct tls_creds *trust;
	struct tls_report r;
};

/* A captured connection: leaf for leaf_cn (and DNS leaf_dns) under a root the trust store
 * holds or not, checked against verify_name. */
static void capture(struct fixture *f, const char *leaf_cn, const char *leaf_dns,
		    const char *verify_name, bool trusted)
{
	struct testcert_spec ca = {.cn = "View Root", .ca = true};
	struct testcert_spec leaf = {.cn = leaf_cn, .dns = {leaf_dns}, .server_auth = true};
	struct tls_error err;
	struct verify_request req;

	memset(f, 0, sizeof(*f));
	f->ca = testcert_make(&ca, NULL, NULL, &f->ca_key);
	f->leaf = testcert_make(&leaf, f->ca, f->ca_key, &f->leaf_key);
	f->trust = creds_new();
	if (trusted)
		assert_int_equal(creds_add_ca_certs(f->trust, &f->ca, 1, &err), 0);
	report_init(&f->r, TLS_MODE_CONNECT);
	f->r.target.host = xstrdup("127.0.0.1");
	f->r.target.port = 4433;
	f->r.target.verify_name = xstrdup(verify_name);
	f->r.handshake.status = HS_COMPLETE;
	report_add_step(&f->r, 0.5, TLS_DIR_SENT, STEP_CLIENT_HELLO, "364 bytes");
	report_add_step(&f->r, 1.25, TLS_DIR_RECEIVED, STEP_SERVER_HELLO, "151 bytes");
	report_add_step(&f->r, 1.5, TLS_DIR_RECEIVED, STEP_CERTIFICATE, NULL);
	report_add_step(&f->r, 1.75, TLS_DIR_RECEIVED, STEP_FINISHED, NULL);
	verify_request_init(&req, f->trust, verify_name, GNUTLS_KP_TLS_WWW_SERVER, &f->r.policy);
	gnutls_x509_crt_t chain[2] = {f->leaf, f->ca};
	verify_report(&req, chain, 2, &f->r);
	diagnose_connect(&f->r);
}

static void release(struct fixture *f)
{
	report_free(&f->r);
	creds_free(f->trust);
	gnutls_x509_crt_deinit(f->leaf);
	gnutls_x509_crt_deinit(f->ca);
	gnutls_x509_privkey_deinit(f->leaf_key);
	gnutls_x509_privkey_deinit(f->ca_key);
}

static char *text_of(const struct ui_lines *L, size_t i)
{
	assert_true(i < L->n);
	return lines_text(L, i);
}

static bool any_line_has(const struct ui_lines *L, const char *needle)
{
	for (size_t i = 0; i < L->n; i++) {
		char *t = lines_text(L, i);
		bool has = strstr(t, needle) != NULL;
		free(t);
		if (has)
			return true;
	}
	return false;
}

static void test_timeline_has_a_line_per_message_with_time_and_direction(void **state)
{
	struct fixture f;
	struct ui_lines L = {0};
	(void)state;

	capture(&f, "view.test", "view.test", "view.test", true);
	report_add_step(&f.r, 2.0, TLS_DIR_RECEIVED, STEP_ALERT, "fatal bad_certificate (42)")
		->failure_point = true;
	view_timeline(&L, &f.r, glyphs_get(false));
	assert_int_equal(L.n, 6); /* 5 steps and the status line */
	char *t = text_of(&L, 0);
	assert_non_null(strstr(t, "+0.5 ms"));
	assert_non_null(strstr(t, "-> ClientHello"));
	assert_non_null(strstr(t, "364 bytes"));
	free(t);
	t = text_of(&L, 1);
	assert_non_null(strstr(t, "<- ServerHello"));
	free(t);
	t = text_of(&L, 4);
	assert_non_null(strstr(t, "Alert"));
	assert_non_null(strstr(t, "<< failed here"));
	free(t);
	/* The alert is drawn in the error style. */
	bool red = false;
	for (size_t k = 0; k < L.v[4].n; k++)
		red |= L.v[4].seg[k].style == ST_ERROR;
	assert_true(red);
	assert_int_equal(L.v[1].tag, 1);
	assert_int_equal(L.v[5].tag, -1);
	lines_free(&L);
	release(&f);
}

static void test_clean_chain_marks_every_check_ok(void **state)
{
	struct fixture f;
	struct ui_lines L = {0};
	(void)state;

	capture(&f, "view.test", "view.test", "view.test", true);
	view_chain(&L, &f.r, glyphs_get(false));
	assert_int_equal(L.n, 2);
	char *leaf = text_of(&L, 0), *root = text_of(&L, 1);
	assert_non_null(strstr(leaf, "0 view.test "));
	assert_non_null(strstr(leaf, "+trust +name +dates +sig +key +use  by View Root  until "));
	/* The name check applies to the leaf only. */
	assert_null(strstr(root, "name"));
	assert_non_null(strstr(root, "+trust"));
	free(leaf);
	free(root);
	lines_free(&L);
	release(&f);
}

static void test_hostname_mismatch_is_marked_on_the_leaf(void **state)
{
	struct fixture f;
	struct ui_lines L = {0};
	(void)state;

	capture(&f, "view.test", "view.test", "other.example", true);
	view_chain(&L, &f.r, glyphs_get(true));
	char *leaf = text_of(&L, 0);
	assert_non_null(strstr(leaf, "\u2718name"));
	assert_non_null(strstr(leaf, "\u2714trust"));
	free(leaf);
	lines_free(&L);
	view_findings(&L, &f.r, glyphs_get(false));
	assert_true(any_line_has(&L, "hostname-mismatch"));
	lines_free(&L);
	release(&f);
}

static void test_untrusted_root_is_marked_on_the_top_certificate(void **state)
{
	struct fixture f;
	struct ui_lines L = {0};
	(void)state;

	capture(&f, "view.test", "view.test", "view.test", false);
	view_chain(&L, &f.r, glyphs_get(false));
	char *root = text_of(&L, 1);
	assert_non_null(strstr(root, "xtrust"));
	free(root);
	lines_free(&L);
	struct view_run run = {.mode = "connect"};
	view_header(&L, &f.r, &run, glyphs_get(false));
	char *head = text_of(&L, 0);
	assert_non_null(strstr(head, "127.0.0.1:4433"));
	assert_non_null(strstr(head, "FAIL"));
	free(head);
	lines_free(&L);
	release(&f);
}

static void test_running_header_shows_spinner_and_elapsed_time(void **state)
{
	struct tls_report r;
	struct ui_lines L = {0};
	struct view_run run = {.mode = "connect", .running = true, .elapsed_ms = 1234, .tick = 1};
	(void)state;

	report_init(&r, TLS_MODE_CONNECT);
	r.target.host = xstrdup("stall.test");
	r.target.port = 443;
	view_header(&L, &r, &run, glyphs_get(false));
	char *head = text_of(&L, 0);
	assert_non_null(strstr(head, "/ resolving 1234 ms"));
	assert_null(strstr(head, "OK"));
	free(head);
	lines_free(&L);
	report_free(&r);
}

static void test_hostile_subject_is_escaped_everywhere(void **state)
{
	struct fixture f;
	struct ui_lines L = {0};
	(void)state;

	capture(&f, "evil\x1b]0;owned\x07\x1b[2J", "evil.test", "evil.test", true);
	view_chain(&L, &f.r, glyphs_get(true));
	view_cert_detail(&L, &f.r.chain[0], 80, glyphs_get(true));
	for (size_t i = 0; i < L.n; i++)
		for (size_t k = 0; k < L.v[i].n; k++)
			for (const char *p = L.v[i].seg[k].text; *p; p++)
				assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	/* Shown escaped, in the chain row and the detail (GnuTLS escapes the ';' itself). */
	assert_true(any_line_has(&L, "0 evil\\x1b]0"));
	assert_true(any_line_has(&L, "owned\\x07\\x1b[2J"));
	lines_free(&L);
	release(&f);
}

static void test_certificate_detail_has_serial_both_ways_and_fingerprint(void **state)
{
	struct fixture f;
	struct ui_lines L = {0};
	(void)state;

	capture(&f, "view.test", "view.test", "view.test", true);
	view_cert_detail(&L, &f.r.chain[0], 100, glyphs_get(false));
	char hex[128], dec[128];
	snprintf(hex, sizeof(hex), "serial hex   %s", f.r.chain[0].serial_hex);
	snprintf(dec, sizeof(dec), "serial dec   %s", f.r.chain[0].serial_dec);
	assert_true(any_line_has(&L, hex));
	assert_true(any_line_has(&L, dec));
	assert_true(any_line_has(&L, "DNS:view.test"));
	assert_true(any_line_has(&L, f.r.chain[0].sha256));
	assert_true(any_line_has(&L, "serverAuth"));
	lines_free(&L);
	release(&f);
}

static void test_finding_detail_names_the_key_that_acts_on_it(void **state)
{
	struct fixture f;
	struct ui_lines L = {0};
	(void)state;

	capture(&f, "view.test", "view.test", "other.example", true);
	const struct tls_finding *fi = NULL;
	for (size_t i = 0; i < f.r.n_findings; i++)
		if (strcmp(f.r.findings[i].id, "hostname-mismatch") == 0)
			fi = &f.r.findings[i];
	assert_non_null(fi);
	view_finding_detail(&L, fi, 80, true);
	assert_true(any_line_has(&L, "Fix: "));
	assert_true(any_line_has(&L, "Here: c sets the verify name"));
	lines_free(&L);
	/* Where those keys do nothing (a listener's connection), no hint. */
	view_finding_detail(&L, fi, 80, false);
	assert_false(any_line_has(&L, "Here:"));
	lines_free(&L);
	assert_non_null(view_finding_key_hint("client-cert-required"));
	assert_null(view_finding_key_hint("tls-version-old"));
	release(&f);
}

static void test_wrap_breaks_at_spaces_and_indents(void **state)
{
	struct ui_lines L = {0};
	(void)state;

	lines_wrap(&L, ST_NORMAL, 7, "Fix: ",
		   "Reissue the certificate with subjectAltName = IP:127.0.0.1 and try again",
		   false, 30);
	assert_true(L.n >= 3);
	for (size_t i = 0; i < L.n; i++) {
		char *t = lines_text(&L, i);
		assert_true(text_width(t) <= 30);
		assert_int_equal(L.v[i].tag, 7);
		if (i > 0)
			assert_memory_equal(t, "     ", 5);
		free(t);
	}
	char *first = lines_text(&L, 0);
	assert_string_equal(first, "Fix: Reissue the certificate");
	free(first);
	lines_free(&L);
}

static void test_width_counts_wide_and_combining_text(void **state)
{
	(void)state;
	assert_int_equal(text_width("abc"), 3);
	assert_int_equal(text_width("\u2714 ok"), 4);
	assert_int_equal(text_width("\u6f22\u5b57"), 4);  /* two wide CJK characters */
	assert_int_equal(text_fit("\u6f22\u5b57", 3), 3); /* the second does not fit */
}

static void test_key_table_binds_by_context(void **state)
{
	struct ui_lines L = {0};
	(void)state;

	assert_int_equal(keymap_lookup(CTX_CONN, 'q'), ACT_QUIT);
	assert_int_equal(keymap_lookup(CTX_FORM, 'q'), ACT_NONE); /* a letter in a text field */
	assert_int_equal(keymap_lookup(CTX_CONN | CTX_CLIENT, 'r'), ACT_RECONNECT);
	assert_int_equal(keymap_lookup(CTX_CONN, 'r'), ACT_NONE); /* a listener's connection */
	assert_int_equal(keymap_lookup(CTX_CONN, KEY_ESC), ACT_BACK);
	assert_int_equal(keymap_lookup(CTX_FORM, KEY_ESC), ACT_BACK);
	assert_int_equal(keymap_lookup(CTX_CONN, 'j'), ACT_DOWN);
	assert_int_equal(keymap_lookup(CTX_FILTER, 'q'), ACT_NONE);
	keymap_help(&L, CTX_CONN | CTX_CLIENT);
	assert_true(any_line_has(&L, "what-if"));
	assert_true(any_line_has(&L, "reconnect"));
	lines_free(&L);
	struct ui_line *bar = lines_add(&L, -1);
	keymap_bar(bar, CTX_CONN | CTX_CLIENT);
	char *t = lines_text(&L, 0);
	assert_non_null(strstr(t, "q quit"));
	assert_non_null(strstr(t, "? help"));
	/* The bar of the connection view fits 80 columns up to the what-if key. */
	assert_true(strstr(t, "w what-if") - t + 9 <= 100);
	free(t);
	lines_free(&L);
}

/* The list widget: each movement key within 0..count-1, a page at a time, top and bottom;
 * other actions are left to the screen; a text scrolls within 0..lines-page. */
static void test_list_moves_and_pages_within_the_items(void **state)
{
	struct ui_list l = {0};
	(void)state;

	assert_true(list_key(&l, ACT_UP, 10, 4));
	assert_int_equal(l.sel, 0);
	assert_true(list_key(&l, ACT_DOWN, 10, 4));
	assert_int_equal(l.sel, 1);
	assert_true(list_key(&l, ACT_PGDN, 10, 4));
	assert_int_equal(l.sel, 5);
	assert_true(list_key(&l, ACT_PGDN, 10, 4));
	assert_true(list_key(&l, ACT_PGDN, 10, 4));
	assert_int_equal(l.sel, 9);
	assert_true(list_key(&l, ACT_PGUP, 10, 4));
	assert_int_equal(l.sel, 5);
	assert_true(list_key(&l, ACT_TOP, 10, 4));
	assert_int_equal(l.sel, 0);
	assert_true(list_key(&l, ACT_BOTTOM, 10, 4));
	assert_int_equal(l.sel, 9);
	assert_false(list_key(&l, ACT_OPEN, 10, 4));
	assert_int_equal(l.sel, 9);
	list_clamp(&l, 3); /* the items shrank */
	assert_int_equal(l.sel, 2);
	assert_true(list_key(&l, ACT_DOWN, 0, 4)); /* empty: stays at 0 */
	assert_int_equal(l.sel, 0);
	struct ui_list t = {0};
	assert_true(list_scroll_key(&t, ACT_BOTTOM, 30, 10));
	assert_int_equal(t.scroll, 20);
	assert_true(list_scroll_key(&t, ACT_DOWN, 30, 10));
	assert_int_equal(t.scroll, 20);
	assert_true(list_scroll_key(&t, ACT_PGUP, 30, 10));
	assert_int_equal(t.scroll, 10);
	assert_true(list_scroll_key(&t, ACT_DOWN, 5, 10)); /* shorter than a page */
	assert_int_equal(t.scroll, 0);
}

int main(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline_has_a_line_per_message_with_time_and_direction),
		cmocka_unit_test(test_clean_chain_marks_every_check_ok),
		cmocka_unit_test(test_hostname_mismatch_is_marked_on_the_leaf),
		cmocka_unit_test(test_untrusted_root_is_marked_on_the_top_certificate),
		cmocka_unit_test(test_running_header_shows_spinner_and_elapsed_time),
		cmocka_unit_test(test_hostile_subject_is_escaped_everywhere),
		cmocka_unit_test(test_certificate_detail_has_serial_both_ways_and_fingerprint),
		cmocka_unit_test(test_finding_detail_names_the_key_that_acts_on_it),
		cmocka_unit_test(test_wrap_breaks_at_spaces_and_indents),
		cmocka_unit_test(test_width_counts_wide_and_combining_text),
		cmocka_unit_test(test_key_table_binds_by_context),
		cmocka_unit_test(test_list_moves_and_pages_within_the_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
