/* HOST:PORT as people type it: "example.com", "example.com:8443", "127.0.0.1:443", "[::1]:443". */
#ifndef TLSSCOPE_TARGET_H
#define TLSSCOPE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/util.h"

#define TLS_DEFAULT_PORT 443

struct tls_target {
	char host[256]; /* without brackets for IPv6 */
	unsigned port;
	bool is_ip; /* host is an IPv4 or IPv6 literal */
};

/* Parses text into t; default_port fills a missing port (0: the port is required).
 * Returns 0, or -1 with a one-line reason in err. */
int target_parse(const char *text, unsigned default_port, struct tls_target *t,
		 struct tls_error *err);

/* Parses a decimal port 1..65535. Returns the port or -1. */
int target_parse_port(const char *text);

/* True when s is an IPv4 or IPv6 address literal. */
bool target_is_ip(const char *s);

#endif
