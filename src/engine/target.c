#include "tlsscope/target.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

bool target_is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int target_parse_port(const char *text)
{
	long v = 0;

	if (!*text || strlen(text) > 5)
		return -1;
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

static bool host_is_valid(const char *h)
{
	if (!*h)
		return false;
	for (const unsigned char *p = (const unsigned char *)h; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/' || *p == '[' || *p == ']' || *p == '@')
			return false;
	return true;
}

/* An unbracketed IPv6 address whose last group could be a port ("::1:8443", "fe80::1:443")
 * reads two ways: the address ::1:8443 on the default port, or ::1 on port 8443. Both ways
 * are refused with the bracketed form of each as the hint; "::1" alone is not ambiguous (":"
 * is no address). Returns true, with err set, when text is such a case. */
static bool ipv6_port_ambiguous(const char *text, struct tls_error *err)
{
	const char *last = strrchr(text, ':');
	char prefix[64];
	unsigned char buf[16];
	size_t n = (size_t)(last - text);

	if (target_parse_port(last + 1) < 0 || n == 0 || n >= sizeof(prefix))
		return false;
	memcpy(prefix, text, n);
	prefix[n] = 0;
	if (inet_pton(AF_INET6, prefix, buf) != 1)
		return false;
	if (inet_pton(AF_INET6, text, buf) == 1)
		tls_error_set(
			err,
			"'%s' is ambiguous: write [%s]:%s for port %s of %s, or [%s] for that "
			"address",
			text, prefix, last + 1, last + 1, prefix, text);
	else
		tls_error_set(err, "'%s': put an IPv6 address in brackets before the port: [%s]:%s",
			      text, prefix, last + 1);
	return true;
}

int target_parse(const char *text, unsigned default_port, struct tls_target *t,
		 struct tls_error *err)
{
	const char *host = text, *port = NULL;
	size_t hlen;

	memset(t, 0, sizeof(*t));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close) {
			tls_error_set(err, "'%s': missing ']' after the IPv6 address", text);
			return -1;
		}
		host = text + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1]) {
			tls_error_set(err, "'%s': expected ':PORT' after ']'", text);
			return -1;
		}
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* Several colons and no brackets: a bare IPv6 address, default port. */
			if (ipv6_port_ambiguous(text, err))
				return -1;
			hlen = strlen(text);
		} else {
			hlen = colon ? (size_t)(colon - text) : strlen(text);
			port = colon ? colon + 1 : NULL;
		}
	}
	if (hlen == 0 || hlen >= sizeof(t->host)) {
		tls_error_set(err, "'%s': %s", text,
			      hlen ? "host name is too long" : "no host given");
		return -1;
	}
	memcpy(t->host, host, hlen);
	t->host[hlen] = 0;
	if (!host_is_valid(t->host)) {
		tls_error_set(err, "'%s': not a valid host name or address", text);
		return -1;
	}
	t->is_ip = target_is_ip(t->host);
	if (text[0] == '[' && !(t->is_ip && strchr(t->host, ':'))) {
		tls_error_set(err, "'%s': brackets are only for IPv6 addresses", text);
		return -1;
	}
	if (strchr(t->host, ':') && !t->is_ip) {
		tls_error_set(err, "'%s': not a valid IPv6 address", text);
		return -1;
	}
	if (port) {
		int p = target_parse_port(port);
		if (p < 0) {
			tls_error_set(err, "'%s': port must be a number from 1 to 65535", text);
			return -1;
		}
		t->port = (unsigned)p;
	} else if (default_port) {
		t->port = default_port;
	} else {
		tls_error_set(err, "'%s': no port given", text);
		return -1;
	}
	return 0;
}
