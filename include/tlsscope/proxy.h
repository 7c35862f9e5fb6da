/* --proxy: reaching the target through an HTTP CONNECT proxy (RFC 9110 §9.3.6) or a SOCKS5
 * proxy (RFC 1928, with RFC 1929's username/password), before STARTTLS and the handshake.
 * Everything the proxy says is bounded and escaped before it reaches the report; the password
 * never does. */
#ifndef TLSSCOPE_PROXY_H
#define TLSSCOPE_PROXY_H

#include <stdbool.h>
#include <sys/socket.h>

#include "tlsscope/report.h"
#include "tlsscope/util.h"

enum tls_proxy_kind { PROXY_HTTP, PROXY_SOCKS5, PROXY_SOCKS5H };

/* RFC 1929's limit for SOCKS5, kept for HTTP's Basic too. */
#define PROXY_MAX_PASSWORD 255

struct tls_proxy_spec {
	enum tls_proxy_kind kind;
	char host[256]; /* without brackets for IPv6 */
	unsigned port;
	char user[256]; /* empty: no authentication */
};

/* "http://[user@]HOST:PORT", "socks5://...", "socks5h://..." into out. A password in the URL is
 * refused (it would sit in the shell's history and in ps): --proxy-password-file gives it.
 * Returns 0, or -1 with a one-line reason in err. */
int proxy_parse(const char *url, struct tls_proxy_spec *out, struct tls_error *err);

/* The URL as shown in the report: scheme, user when there is one, host and port (static
 * buffer of the caller, at least 300 bytes). */
void proxy_describe(const struct tls_proxy_spec *p, char *buf, size_t size);

/* "HTTP CONNECT", "SOCKS5", "SOCKS5 (name resolved by the proxy)" (static). */
const char *proxy_kind_label(enum tls_proxy_kind k);

/* Whether the target's name is resolved here first (socks5:// with a name, as curl does). */
bool proxy_resolves_here(const struct tls_proxy_spec *p);

struct tls_trace;
struct proxy;

/* The exchange with the proxy for the target host:port. target_addr is the target's address
 * when it was resolved here (socks5://), else NULL: the proxy gets the name. password may be
 * NULL; it is copied and wiped on free. rep->proxy is filled as it goes. */
struct proxy *proxy_new(const struct tls_proxy_spec *spec, const char *host, unsigned port,
			const struct sockaddr *target_addr, const char *password,
			struct tls_report *rep);
void proxy_free(struct proxy *p); /* accepts NULL */

/* Runs the exchange on t->fd as far as it goes without blocking: 0 when the tunnel is up (what
 * follows is the target's), 1 when it must wait for *events, -1 when the proxy refused or
 * failed (rep->proxy.outcome and handshake.error say why). One "Proxy" step per request and per
 * answer. */
int proxy_run(struct proxy *p, struct tls_trace *t, short *events);
/* The deadline passed during the exchange. */
void proxy_timeout(struct proxy *p, double timeout_s);

#endif
