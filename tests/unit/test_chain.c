/* Certificate facts: serial numbers in hex and decimal from the bytes, and every field of a
 * chain entry from certificates generated here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testcert.h"
#include "tlsscope/chain.h"
#include "tlsscope/report.h"
#include "tlsscope/textsafe.h"

static void serial(const unsigned char *b, size_t n, const char *hex, const char *dec)
{
	char *h = chain_serial_hex(b, n), *d = chain_serial_dec(b, n);

	assert_string_equal(h, hex);
	assert_string_equal(d, dec);
	free(h);
	free(d);
}

static void test_serial_small(void **state)
{
	(void)state;
	serial((const unsigned char *)"\x01", 1, "01", "1");
	serial((const unsigned char *)"\x00", 1, "00", "0");
	serial((const unsigned char *)"", 0, "00", "0");
	serial((const unsigned char *)"\x01\x00", 2, "0100", "256");
	/* The tutorial's serial check: 0xd0 printed by openssl is 208 in Python. */
	serial((const unsigned char *)"\x00\xd0", 2, "d0", "208");
}

static void test_serial_leading_zero_byte_is_dropped(void **state)
{
	/* DER adds 0x00 before a serial whose high bit is set; it is not part of the number. */
	const unsigned char b[] = {0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	(void)state;
	serial(b, sizeof(b), "8000000000000000", "9223372036854775808");
}

static void test_serial_20_bytes(void **state)
{
	const unsigned char max[20] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const unsigned char mixed[20] = {0x21, 0x95, 0xd7, 0x11, 0x75, 0x4b, 0x84,
					 0x34, 0x57, 0xa8, 0xdf, 0x65, 0x5d, 0x66,
					 0xb8, 0xcd, 0xf5, 0x32, 0x89, 0xff};
	(void)state;
	/* 2^159 - 1 */
	serial(max, sizeof(max), "7fffffffffffffffffffffffffffffffffffffff",
	       "730750818665451459101842416358141509827966271487");
	serial(mixed, sizeof(mixed), "2195d711754b843457a8df655d66b8cdf53289ff",
	       "191738241553955112453052225319575443852106041855");
}

static bool has(const struct strlist *l, const char *s)
{
	return strlist_contains(l, s);
}

static void test_leaf_facts(void **state)
{
	const unsigned char sn[20] = {0x9a, 1,	2,  3,	4,  5,	6,  7,	8,  9,
				      10,   11, 12, 13, 14, 15, 16, 17, 18, 19};
	time_t now = time(NULL);
	struct testcert_spec ca_spec = {.cn = "Unit Root", .ca = true};
	struct testcert_spec leaf_spec = {
		.cn = "server.test",
		.serial = sn,
		.serial_len = sizeof(sn),
		.dns = {"server.test", "*.server.test"},
		.ip = {"127.0.0.1", "::1"},
		.uri = "https://server.test/",
		.email = "admin@server.test",
		.server_auth = true,
		.client_auth = true,
		.not_before = now - 100,
		.not_after = now + 1000,
	};
	gnutls_x509_privkey_t ca_key, leaf_key;
	gnutls_x509_crt_t ca = testcert_make(&ca_spec, NULL, NULL, &ca_key);
	gnutls_x509_crt_t leaf = testcert_make(&leaf_spec, ca, ca_key, &leaf_key);
	struct tls_cert_info ci = {0};
	(void)state;

	assert_int_equal(chain_describe(leaf, 0, &ci), 0);
	assert_string_equal(ci.subject, "CN=server.test");
	assert_string_equal(ci.issuer, "CN=Unit Root");
	assert_string_equal(ci.serial_hex, "9a0102030405060708090a0b0c0d0e0f10111213");
	/* 0x9a has the high bit set: DER stores 21 bytes; the number is the 20. */
	char *dec = chain_serial_dec(sn, sizeof(sn));
	assert_string_equal(ci.serial_dec, dec);
	free(dec);
	assert_true(has(&ci.san, "DNS:server.test"));
	assert_true(has(&ci.san, "DNS:*.server.test"));
	assert_true(has(&ci.san, "IP:127.0.0.1"));
	assert_true(has(&ci.san, "IP:::1"));
	assert_true(has(&ci.san, "URI:https://server.test/"));
	assert_true(has(&ci.san, "email:admin@server.test"));
	assert_string_equal(ci.key_algorithm, "ECDSA");
	assert_int_equal(ci.key_bits, 256);
	assert_string_equal(ci.signature_algorithm, "ECDSA-SHA256");
	assert_int_equal(strlen(ci.sha256), 64);
	assert_true(has(&ci.key_usage, "digitalSignature"));
	assert_true(has(&ci.eku, "serverAuth"));
	assert_true(has(&ci.eku, "clientAuth"));
	assert_false(ci.is_ca);
	assert_false(ci.self_signed);
	assert_int_equal(ci.version, 3);
	assert_int_equal(ci.not_before, (long long)(now - 100));
	assert_int_equal(ci.not_after, (long long)(now + 1000));
	assert_non_null(ci.der);

	struct tls_cert_info root = {0};
	assert_int_equal(chain_describe(ca, 1, &root), 0);
	assert_true(root.is_ca);
	assert_true(root.self_signed);
	assert_int_equal(root.index, 1);
	assert_true(has(&root.key_usage, "keyCertSign"));
	assert_int_equal(root.san.n, 0);

	cert_info_free(&ci);
	cert_info_free(&root);
	gnutls_x509_crt_deinit(leaf);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(leaf_key);
	gnutls_x509_privkey_deinit(ca_key);
}

/* A dNSName "localhost\0.evil.example": the hostname check already refuses it for localhost,
 * and the display must not cut it at the NUL. */
static void test_san_with_nul_keeps_every_byte(void **state)
{
	static const char name[] = "localhost\0.evil.example";
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	struct tls_cert_info ci = {0};
	time_t now = time(NULL);
	(void)state;

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, 256, 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(crt, "\x05", 1), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(crt, now - 60), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(crt, now + 3600), 0);
	assert_int_equal(
		gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "nul", 3), 0);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	/* The extension's DER by hand: GnuTLS's setters stop at the NUL. SEQUENCE { [2] dNSName }
	 */
	unsigned char ext[4 + sizeof(name) - 1] = {0x30, sizeof(name) + 1, 0x82, sizeof(name) - 1};
	memcpy(ext + 4, name, sizeof(name) - 1);
	assert_int_equal(
		gnutls_x509_crt_set_extension_by_oid(crt, "2.5.29.17", ext, sizeof(ext), 0), 0);
	assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
	/* Read back as a peer's certificate would be. */
	gnutls_datum_t der;
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der), 0);
	gnutls_x509_crt_deinit(crt);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER), 0);
	gnutls_free(der.data);

	assert_int_equal(chain_describe(crt, 0, &ci), 0);
	assert_int_equal(ci.san.n, 1);
	/* Carried as C0 80 inside the C string (textsafe.h). */
	assert_string_equal(ci.san.v[0], "DNS:localhost\xc0\x80.evil.example");
	char *text = textsafe_escape(ci.san.v[0], strlen(ci.san.v[0]));
	assert_string_equal(text, "DNS:localhost\\x00.evil.example");
	size_t n = 0;
	char *json = textsafe_utf8_nul(ci.san.v[0], strlen(ci.san.v[0]), &n);
	assert_int_equal(n, 4 + sizeof(name) - 1);
	assert_memory_equal(json, "DNS:localhost\0.evil.example", n);
	/* Without the NUL-aware repair, the pair is invalid UTF-8 as before. */
	char *plain = textsafe_utf8(ci.san.v[0], strlen(ci.san.v[0]));
	assert_string_equal(plain, "DNS:localhost\xef\xbf\xbd\xef\xbf\xbd.evil.example");
	free(text);
	free(json);
	free(plain);
	cert_info_free(&ci);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

static void test_rsa_key_bits(void **state)
{
	struct testcert_spec spec = {.cn = "rsa", .pk = GNUTLS_PK_RSA, .bits = 1024};
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt = testcert_make(&spec, NULL, NULL, &key);
	struct tls_cert_info ci = {0};
	(void)state;

	chain_describe(crt, 0, &ci);
	assert_string_equal(ci.key_algorithm, "RSA");
	assert_int_equal(ci.key_bits, 1024);
	assert_null(ci.key_curve);
	assert_true(ci.self_signed);
	cert_info_free(&ci);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial_small),
		cmocka_unit_test(test_serial_leading_zero_byte_is_dropped),
		cmocka_unit_test(test_serial_20_bytes),
		cmocka_unit_test(test_leaf_facts),
		cmocka_unit_test(test_rsa_key_bits),
		cmocka_unit_test(test_san_with_nul_keeps_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
