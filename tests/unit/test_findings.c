/* The findings catalog is complete: every enum finding_id has a full row (a hole in the
 * designated table would be a zero row, which _Static_assert cannot see), string ids are unique
 * and parse back to their enum value, and the TUI's columns and key hints are where they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tlsscope/diagnose.h"
#include "tlsscope/names.h"

static void test_every_id_has_a_full_row(void **state)
{
	(void)state;
	for (int i = 0; i < FINDING__COUNT; i++) {
		const struct diag_entry *e = findings_entry((enum finding_id)i);
		assert_non_null(e->id);
		assert_true(strlen(e->id) > 0);
		assert_non_null(e->title);
		assert_true(strlen(e->title) > 0);
		assert_non_null(e->fix);
		assert_true(strlen(e->fix) > 0);
		assert_true(e->severity == SEV_ERROR || e->severity == SEV_WARNING ||
			    e->severity == SEV_INFO);
		assert_true(!e->key_hint || strlen(e->key_hint) > 0);
	}
}

static void test_ids_unique_and_parse_back(void **state)
{
	(void)state;
	for (int i = 0; i < FINDING__COUNT; i++) {
		enum finding_id back;
		const char *id = findings_entry((enum finding_id)i)->id;
		assert_int_equal(findings_parse(id, &back), 0);
		assert_int_equal(back, i); /* the first row with that id is this one */
		assert_ptr_equal(diagnose_lookup(id), findings_entry((enum finding_id)i));
	}
	enum finding_id unused;
	assert_int_equal(findings_parse("no-such-finding", &unused), -1);
	assert_null(diagnose_lookup("no-such-finding"));
	assert_null(diagnose_lookup(""));
}

static void test_enum_names_their_string_id(void **state)
{
	static const struct {
		enum finding_id id;
		const char *s;
	} pairs[] = {
		{FINDING_DNS_FAILURE, "dns-failure"},
		{FINDING_NOT_TLS, "not-tls"},
		{FINDING_SNI_REQUIRED, "sni-required"},
		{FINDING_EXPIRED, "expired"},
		{FINDING_CLIENT_SENT_NO_CERT, "client-sent-no-cert"},
		{FINDING_STARTTLS_NEEDED, "starttls-needed"},
		{FINDING_CHAIN_HAS_ROOT, "chain-has-root"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		assert_string_equal(findings_entry(pairs[i].id)->id, pairs[i].s);
}

static void test_chain_columns(void **state)
{
	static const struct {
		const char *id;
		enum finding_check check;
	} cols[] = {
		{"untrusted-issuer", CHECK_TRUST}, {"not-a-ca", CHECK_TRUST},
		{"revoked", CHECK_TRUST},	   {"client-cert-untrusted", CHECK_TRUST},
		{"hostname-mismatch", CHECK_NAME}, {"ip-not-in-san", CHECK_NAME},
		{"expires-soon", CHECK_DATES},	   {"v1-certificate", CHECK_SIG},
		{"weak-key", CHECK_KEY},	   {"wrong-purpose", CHECK_USE},
		{"chain-order", CHECK_NONE},	   {"anchor-expired", CHECK_NONE},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		assert_int_equal(diagnose_lookup(cols[i].id)->check, cols[i].check);
}

static void test_key_hints(void **state)
{
	const char *cc = diagnose_lookup("client-cert-required")->key_hint;
	(void)state;
	assert_non_null(cc);
	/* Every client-cert-* finding has the same hint; the listener's client findings none. */
	for (int i = 0; i < FINDING__COUNT; i++) {
		const struct diag_entry *e = findings_entry((enum finding_id)i);
		if (strncmp(e->id, "client-cert-", 12) == 0)
			assert_string_equal(e->key_hint, cc);
	}
	assert_null(diagnose_lookup("client-sent-no-cert")->key_hint);
	assert_null(diagnose_lookup("tls-version-old")->key_hint);
	assert_non_null(diagnose_lookup("expired")->key_hint);
}

static void test_alert_columns(void **state)
{
	(void)state;
	assert_int_equal(TLS_ALERT_UNRECOGNIZED_NAME, 112);
	assert_string_equal(names_alert(TLS_ALERT_CERTIFICATE_REQUIRED), "certificate_required");
	assert_true(names_alert_is(TLS_ALERT_CERTIFICATE_REQUIRED, ALERT_REFUSES_CERT));
	assert_true(names_alert_is(TLS_ALERT_DECRYPT_ERROR, ALERT_REFUSES_CERT));
	assert_false(names_alert_is(TLS_ALERT_HANDSHAKE_FAILURE, ALERT_REFUSES_CERT));
	assert_true(names_alert_is(TLS_ALERT_UNKNOWN_CA, ALERT_DISTRUSTS));
	assert_false(names_alert_is(TLS_ALERT_UNSUPPORTED_CERTIFICATE, ALERT_DISTRUSTS));
	assert_false(names_alert_is(255, ALERT_REFUSES_CERT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_id_has_a_full_row),
		cmocka_unit_test(test_ids_unique_and_parse_back),
		cmocka_unit_test(test_enum_names_their_string_id),
		cmocka_unit_test(test_chain_columns),
		cmocka_unit_test(test_key_hints),
		cmocka_unit_test(test_alert_columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
