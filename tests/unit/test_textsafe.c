/* Terminal safety: control characters, C1 controls, bidi overrides and invalid UTF-8 never pass
 * raw; printable UTF-8 does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/textsafe.h"

static void escapes(const char *in, const char *want)
{
	char *out = textsafe_escape(in, strlen(in));
	assert_string_equal(out, want);
	free(out);
}

static void test_plain_text_unchanged(void **state)
{
	(void)state;
	escapes("CN=localhost,O=Example", "CN=localhost,O=Example");
	escapes("", "");
}

static void test_utf8_printable_kept(void **state)
{
	(void)state;
	escapes("CN=Zürich Straße 東京", "CN=Zürich Straße 東京");
}

static void test_escape_sequences_escaped(void **state)
{
	(void)state;
	escapes("CN=\x1b[2J\x1b]0;pwned\x07", "CN=\\x1b[2J\\x1b]0;pwned\\x07");
	escapes("a\nb\rc\td\x7f", "a\\x0ab\\x0dc\\x09d\\x7f");
}

static void test_c1_and_bidi_escaped(void **state)
{
	(void)state;
	escapes("x\xc2\x9by", "x\\u009by");			  /* U+009B CSI */
	escapes("evil\xe2\x80\xaegnp.exe", "evil\\u202egnp.exe"); /* U+202E RLO */
	escapes("\xe2\x81\xa6z", "\\u2066z");
}

static void test_invalid_utf8_escaped(void **state)
{
	(void)state;
	escapes("a\xff"
		"b",
		"a\\xffb");
	escapes("\xc0\xaf", "\\xc0\\xaf");	    /* overlong '/' */
	escapes("\xed\xa0\x80", "\\xed\\xa0\\x80"); /* surrogate */
	escapes("\xe2\x82", "\\xe2\\x82");	    /* truncated */
}

static void test_utf8_repair_for_json(void **state)
{
	(void)state;
	char *s = textsafe_utf8("a\xff"
				"b\xc3\xa9",
				5);
	assert_string_equal(s, "a\xef\xbf\xbd"
			       "b\xc3\xa9");
	free(s);
	s = textsafe_utf8("a\0b", 3);
	assert_string_equal(s, "a\xef\xbf\xbd"
			       "b");
	free(s);
}

static void test_bytes(void **state)
{
	(void)state;
	char *s = textsafe_bytes((const unsigned char *)"HTTP/1.1 400\r\n\x00\x16", 16);
	assert_string_equal(s, "HTTP/1.1 400\\r\\n\\x00\\x16");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_utf8_printable_kept),
		cmocka_unit_test(test_escape_sequences_escaped),
		cmocka_unit_test(test_c1_and_bidi_escaped),
		cmocka_unit_test(test_invalid_utf8_escaped),
		cmocka_unit_test(test_utf8_repair_for_json),
		cmocka_unit_test(test_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
