/* HOST:PORT parsing: names, IPv4, IPv6 in brackets, default port, bad ports and hosts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tlsscope/target.h"

static void parses(const char *text, const char *host, unsigned port, bool is_ip)
{
	struct tls_target t;
	struct tls_error err = {{0}};

	assert_int_equal(target_parse(text, TLS_DEFAULT_PORT, &t, &err), 0);
	assert_string_equal(t.host, host);
	assert_int_equal(t.port, port);
	assert_int_equal(t.is_ip, is_ip);
}

static void refuses(const char *text, const char *reason_part)
{
	struct tls_target t;
	struct tls_error err = {{0}};

	assert_int_equal(target_parse(text, TLS_DEFAULT_PORT, &t, &err), -1);
	assert_non_null(strstr(err.msg, reason_part));
}

static void test_name_with_port(void **state)
{
	(void)state;
	parses("example.com:8443", "example.com", 8443, false);
	parses("localhost:1", "localhost", 1, false);
	parses("a.b.c:65535", "a.b.c", 65535, false);
}

static void test_default_port_is_443(void **state)
{
	(void)state;
	parses("example.com", "example.com", 443, false);
	parses("192.168.111.100", "192.168.111.100", 443, true);
}

static void test_ipv4(void **state)
{
	(void)state;
	parses("127.0.0.1:4433", "127.0.0.1", 4433, true);
}

static void test_ipv6_brackets(void **state)
{
	(void)state;
	parses("[::1]:443", "::1", 443, true);
	parses("[2001:db8::5]:8443", "2001:db8::5", 8443, true);
	parses("[::1]", "::1", 443, true);
	parses("::1", "::1", 443, true); /* bare IPv6, no port */
}

/* "::1:8443" is an address of its own and also ::1 with a port: refused, both bracketed forms
 * given; a last group that cannot be hex ("18443") leaves only the port reading. */
static void test_unbracketed_ipv6_with_a_port_is_refused(void **state)
{
	(void)state;
	refuses("::1:8443", "[::1]:8443");
	refuses("::1:8443", "[::1:8443]");
	refuses("fe80::1:443", "[fe80::1]:443");
	refuses("::1:18443", "brackets before the port: [::1]:18443");
	parses("2001:db8::10", "2001:db8::10", 443, true); /* "2001:db8:" is no address */
	parses("::8443", "::8443", 443, true);
	parses("[::1:8443]", "::1:8443", 443, true);
}

static void test_bad_ports(void **state)
{
	(void)state;
	refuses("host:0", "1 to 65535");
	refuses("host:65536", "1 to 65535");
	refuses("host:99999", "1 to 65535");
	refuses("host:", "1 to 65535");
	refuses("host:44a", "1 to 65535");
	refuses("host:-1", "1 to 65535");
	refuses("[::1]:x", "1 to 65535");
}

static void test_bad_hosts(void **state)
{
	(void)state;
	refuses(":443", "no host");
	refuses("[::1", "missing ']'");
	refuses("[example.com]:443", "only for IPv6");
	refuses("ex ample:443", "not a valid host");
	refuses("a\x1b[31m:443", "not a valid host");
	refuses("1:2:3:zz", "not a valid IPv6");
	refuses("[::1]x", "expected ':PORT'");
}

static void test_port_helper(void **state)
{
	(void)state;
	assert_int_equal(target_parse_port("443"), 443);
	assert_int_equal(target_parse_port("000443"), -1);
	assert_int_equal(target_parse_port(""), -1);
	assert_int_equal(target_parse_port("65535"), 65535);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_with_port),
		cmocka_unit_test(test_default_port_is_443),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6_brackets),
		cmocka_unit_test(test_unbracketed_ipv6_with_a_port_is_refused),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_bad_hosts),
		cmocka_unit_test(test_port_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
