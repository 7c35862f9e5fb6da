/* What-if re-verification of a captured chain: another trust store, the hostname check off,
 * SHA-1 allowed, a stricter key size, each without reconnecting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "testcert.h"
#include "tlsscope/chain.h"
#include "tlsscope/diagnose.h"
#include "tlsscope/verify.h"

struct fixture {
	gnutls_x509_crt_t ca, leaf;
	gnutls_x509_privkey_t ca_key, leaf_key;
	struct tls_report r;
	struct tls_creds *none, *with_ca;
};

static void capture(struct fixture *f, gnutls_digest_algorithm_t hash)
{
	struct testcert_spec ca = {.cn = "What-if Root", .ca = true};
	struct testcert_spec leaf = {
		.cn = "server.test", .dns = {"server.test"}, .server_auth = true, .hash = hash};
	struct tls_error err;
	struct verify_request req;

	memset(f, 0, sizeof(*f));
	f->ca = testcert_make(&ca, NULL, NULL, &f->ca_key);
	f->leaf = testcert_make(&leaf, f->ca, f->ca_key, &f->leaf_key);
	f->none = creds_new();
	f->with_ca = creds_new();
	assert_int_equal(creds_add_ca_certs(f->with_ca, &f->ca, 1, &err), 0);
	report_init(&f->r, TLS_MODE_CONNECT);
	f->r.target.host = xstrdup("server.test");
	f->r.target.port = 443;
	f->r.target.verify_name = xstrdup("server.test");
	f->r.handshake.status = HS_COMPLETE;
	/* As the client does after a handshake: facts and verification against no anchor. */
	verify_request_init(&req, f->none, "server.test", GNUTLS_KP_TLS_WWW_SERVER, &f->r.policy);
	verify_report(&req, &f->leaf, 1, &f->r);
	diagnose_connect(&f->r);
}

static void release(struct fixture *f)
{
	report_free(&f->r);
	creds_free(f->none);
	creds_free(f->with_ca);
	gnutls_x509_crt_deinit(f->leaf);
	gnutls_x509_crt_deinit(f->ca);
	gnutls_x509_privkey_deinit(f->leaf_key);
	gnutls_x509_privkey_deinit(f->ca_key);
}

static void test_adding_the_ca_makes_the_chain_trusted(void **state)
{
	struct fixture f;
	(void)state;

	capture(&f, 0);
	assert_false(f.r.verification.trusted);
	assert_true(report_has_finding(&f.r, "untrusted-issuer"));
	assert_false(f.r.verdict_ok);
	assert_int_equal(diagnose_recheck(&f.r, f.with_ca), 0);
	assert_true(f.r.verification.trusted);
	assert_string_equal(f.r.verification.trust_source, "ca-file");
	assert_int_equal(f.r.n_findings, 0);
	assert_int_equal(f.r.chain[0].status.n, 0);
	assert_true(f.r.verdict_ok);
	/* And back: the store without it. */
	assert_int_equal(diagnose_recheck(&f.r, f.none), 0);
	assert_true(report_has_finding(&f.r, "untrusted-issuer"));
	release(&f);
}

static void test_system_store_is_read_only_when_the_ca_file_does_not_verify(void **state)
{
	struct fixture f;
	struct tls_error err;
	struct testcert_spec other_spec = {.cn = "Another Root", .ca = true};
	gnutls_x509_privkey_t other_key;
	(void)state;

	capture(&f, 0);
	gnutls_x509_crt_t other = testcert_make(&other_spec, NULL, NULL, &other_key);
	struct tls_creds *both = creds_new(), *wrong = creds_new();
	assert_int_equal(creds_add_ca_certs(both, &f.ca, 1, &err), 0);
	assert_int_equal(creds_add_system_trust(both, &err), 0);
	assert_int_equal(creds_add_ca_certs(wrong, &other, 1, &err), 0);
	assert_int_equal(creds_add_system_trust(wrong, &err), 0);
	/* The CA file verifies the chain: the system store is never read. */
	assert_int_equal(diagnose_recheck(&f.r, both), 0);
	assert_true(f.r.verification.trusted);
	assert_string_equal(f.r.verification.trust_source, "ca-file");
	assert_false(creds_system_trust_loaded(both));
	/* It does not: the system store is read, and the verdict is the same as before. */
	assert_int_equal(diagnose_recheck(&f.r, wrong), 0);
	assert_true(creds_system_trust_loaded(wrong));
	assert_false(f.r.verification.trusted);
	assert_true(report_has_finding(&f.r, "untrusted-issuer"));
	creds_free(both);
	creds_free(wrong);
	gnutls_x509_crt_deinit(other);
	gnutls_x509_privkey_deinit(other_key);
	release(&f);
}

static void test_hostname_check_off(void **state)
{
	struct fixture f;
	(void)state;

	capture(&f, 0);
	free(f.r.target.verify_name);
	f.r.target.verify_name = xstrdup("other.test");
	assert_int_equal(diagnose_recheck(&f.r, f.with_ca), 0);
	assert_true(report_has_finding(&f.r, "hostname-mismatch"));
	f.r.policy.check_hostname = false;
	assert_int_equal(diagnose_recheck(&f.r, f.with_ca), 0);
	assert_false(report_has_finding(&f.r, "hostname-mismatch"));
	assert_true(f.r.verdict_ok);
	release(&f);
}

static void test_allow_sha1(void **state)
{
	struct fixture f;
	(void)state;

	capture(&f, GNUTLS_DIG_SHA1);
	assert_int_equal(diagnose_recheck(&f.r, f.with_ca), 0);
	assert_true(report_has_finding(&f.r, "insecure-signature"));
	assert_false(f.r.verification.trusted);
	f.r.policy.allow_sha1 = true;
	assert_int_equal(diagnose_recheck(&f.r, f.with_ca), 0);
	assert_false(report_has_finding(&f.r, "insecure-signature"));
	assert_true(f.r.verification.trusted);
	release(&f);
}

static void test_minimum_key_size(void **state)
{
	struct fixture f;
	(void)state;

	capture(&f, 0);
	assert_int_equal(diagnose_recheck(&f.r, f.with_ca), 0);
	assert_false(report_has_finding(&f.r, "weak-key"));
	f.r.policy.min_ec_bits = 384; /* the leaf is P-256 */
	assert_int_equal(diagnose_recheck(&f.r, f.with_ca), 0);
	assert_true(report_has_finding(&f.r, "weak-key"));
	assert_true(strlist_contains(&f.r.chain[0].status, "weak-key"));
	release(&f);
}

static void test_no_chain_is_refused(void **state)
{
	struct tls_report r;
	struct tls_creds *c = creds_new();
	(void)state;

	report_init(&r, TLS_MODE_CONNECT);
	assert_int_equal(diagnose_recheck(&r, c), -1);
	report_free(&r);
	creds_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adding_the_ca_makes_the_chain_trusted),
		cmocka_unit_test(test_system_store_is_read_only_when_the_ca_file_does_not_verify),
		cmocka_unit_test(test_hostname_check_off),
		cmocka_unit_test(test_allow_sha1),
		cmocka_unit_test(test_minimum_key_size),
		cmocka_unit_test(test_no_chain_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
