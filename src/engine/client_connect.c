/* From the target's name to its first byte: name resolution (a thread of its own, none for a
 * literal address), TCP to one address after another, and with --proxy the tunnel through the
 * proxy (proxy.c). Reports back through the two pointers reach_start was given. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "tlsscope/target.h"
#include "client_private.h"
#include "trace.h"

/* One address that does not answer (an IPv6 route to nowhere) must not use up the whole budget
 * when others remain to be tried. */
#define CONNECT_ATTEMPT_MS 3000.0

static void on_attempt_timeout(void *arg);

static void set_timer(struct tls_client *c, double at, loop_timer_fn fn)
{
	loop_timer_cancel(c->loop, c->timer);
	c->timer = loop_timer_add(c->loop, at < c->deadline ? at : c->deadline, fn, c);
}

int reach_setup(struct tls_client *c, struct tls_error *err)
{
	if (!c->cfg.proxy)
		return 0;
	if (proxy_parse(c->cfg.proxy, &c->px_spec, err) < 0)
		return -1;
	if (c->cfg.proxy_password && strlen(c->cfg.proxy_password) > PROXY_MAX_PASSWORD) {
		tls_error_set(err, "the proxy password is longer than %d bytes (RFC 1929's limit)",
			      PROXY_MAX_PASSWORD);
		return -1;
	}
	if (!c->rep->proxy.url) {
		char url[600];
		proxy_describe(&c->px_spec, url, sizeof(url));
		c->rep->proxy.url = xstrdup(url);
		c->rep->proxy.kind = proxy_kind_label(c->px_spec.kind);
	}
	return 0;
}

void reach_free(struct tls_client *c)
{
	proxy_free(c->px);
	c->px = NULL;
	if (c->cfg.proxy_password)
		gnutls_memset((char *)c->cfg.proxy_password, 0, strlen(c->cfg.proxy_password));
}

/* "the SOCKS5 proxy 127.0.0.1 port 1080" or "127.0.0.1 port 443", for messages. */
static void peer_words(const struct tls_client *c, char *buf, size_t size)
{
	const struct tls_report *r = c->rep;

	if (c->cfg.proxy)
		snprintf(buf, size, "the %s proxy %s port %u", proxy_kind_label(c->px_spec.kind),
			 r->proxy.address ? r->proxy.address : c->px_spec.host, c->px_spec.port);
	else
		snprintf(buf, size, "%s port %u",
			 r->target.address ? r->target.address : c->cfg.host, c->cfg.port);
}

/* ---- the proxy ---- */

static void do_proxy(struct tls_client *c);

static void on_proxy_io(void *arg, int fd, short revents)
{
	(void)fd;
	(void)revents;
	do_proxy(arg);
}

static void do_proxy(struct tls_client *c)
{
	short events = POLLIN;
	int rc = proxy_run(c->px, &c->tr, &events);

	loop_unwatch(c->loop, c->tr.fd);
	if (rc == 0)
		c->reached(c);
	else if (rc == 1)
		loop_watch(c->loop, c->tr.fd, events, on_proxy_io, c);
	else
		c->unreached(c);
}

/* ---- TCP ---- */

static void try_next_address(struct tls_client *c);

static void connected(struct tls_client *c)
{
	loop_timer_cancel(c->loop, c->timer);
	c->timer = 0;
	c->rep->timing.connect_ms = trace_elapsed(&c->tr);
	trace_emit(&c->tr, EV_CONNECTED, NULL);
	if (!c->cfg.proxy) {
		c->reached(c);
		return;
	}
	c->px = proxy_new(&c->px_spec, c->cfg.host, c->cfg.port,
			  c->have_target_addr ? (const struct sockaddr *)&c->target_addr : NULL,
			  c->cfg.proxy_password, c->rep);
	c->phase = P_PROXY;
	set_timer(c, c->deadline, on_attempt_timeout);
	do_proxy(c);
}

static void on_connect_io(void *arg, int fd, short revents)
{
	struct tls_client *c = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)revents;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS)
		return;
	loop_unwatch(c->loop, fd);
	if (err) {
		c->last_errno = err;
		close(fd);
		c->tr.fd = -1;
		try_next_address(c);
		return;
	}
	connected(c);
}

static void on_attempt_timeout(void *arg)
{
	struct tls_client *c = arg;

	c->timer = 0;
	if (util_now_ms() >= c->deadline || !c->ai_next || c->phase != P_CONNECT) {
		reach_timeout(c);
		c->unreached(c);
		return;
	}
	c->last_errno = ETIMEDOUT;
	loop_unwatch(c->loop, c->tr.fd);
	close(c->tr.fd);
	c->tr.fd = -1;
	try_next_address(c);
}

/* The address being connected to: the target's, or the proxy's while it is the proxy. */
static void set_address(struct tls_client *c, const struct sockaddr *sa, bool proxy)
{
	char buf[INET6_ADDRSTRLEN] = "";
	const void *a = sa->sa_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	char **to = proxy ? &c->rep->proxy.address : &c->rep->target.address;

	inet_ntop(sa->sa_family, a, buf, sizeof(buf));
	free(*to);
	*to = xstrdup(buf);
}

static void try_next_address(struct tls_client *c)
{
	while (c->ai_next) {
		struct addrinfo *ai = c->ai_next;
		c->ai_next = ai->ai_next;
		set_address(c, ai->ai_addr, c->cfg.proxy != NULL);
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			c->last_errno = errno;
			continue;
		}
		c->tr.fd = fd;
		/* Handshake flights are several small writes: without this, Nagle's algorithm
		 * and the peer's delayed ACK add ~40 ms to a TLS 1.2 handshake. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			connected(c);
			return;
		}
		if (errno == EINPROGRESS) {
			loop_watch(c->loop, fd, POLLOUT, on_connect_io, c);
			set_timer(c, c->ai_next ? util_now_ms() + CONNECT_ATTEMPT_MS : c->deadline,
				  on_attempt_timeout);
			return;
		}
		c->last_errno = errno;
		close(fd);
		c->tr.fd = -1;
	}
	char who[400];
	peer_words(c, who, sizeof(who));
	c->rep->handshake.sys_errno = c->last_errno;
	if (c->cfg.proxy)
		c->rep->proxy.outcome = PROXY_FAILED;
	trace_set_error(c->rep, "cannot connect to %s: %s", who,
			strerror(c->last_errno ? c->last_errno : EHOSTUNREACH));
	c->unreached(c);
}

/* ---- names ---- */

static void resolve(struct tls_client *c, const char *host, unsigned port);

static void on_resolved(void *arg, int gai_error, struct addrinfo *res)
{
	struct tls_client *c = arg;
	bool proxy = c->cfg.proxy && !c->resolving_target;

	c->rj = NULL;
	c->rep->timing.resolve_ms = trace_elapsed(&c->tr);
	if (gai_error || !res) {
		c->rep->handshake.gai_error = gai_error ? gai_error : EAI_NONAME;
		if (proxy)
			c->rep->proxy.outcome = PROXY_FAILED;
		trace_set_error(c->rep, "cannot resolve %s%s: %s", proxy ? "the proxy " : "",
				proxy ? c->px_spec.host : c->cfg.host,
				gai_strerror(c->rep->handshake.gai_error));
		if (res)
			freeaddrinfo(res);
		c->unreached(c);
		return;
	}
	if (c->resolving_target) {
		/* socks5://: the target's name is resolved here (as curl does) and its first
		 * address goes to the proxy; the proxy's own name next. */
		c->resolving_target = false;
		memcpy(&c->target_addr, res->ai_addr, res->ai_addrlen);
		c->have_target_addr = true;
		set_address(c, res->ai_addr, false);
		freeaddrinfo(res);
		resolve(c, c->px_spec.host, c->px_spec.port);
		return;
	}
	c->ai_list = c->ai_next = res;
	trace_emit(&c->tr, EV_RESOLVED, NULL);
	c->phase = P_CONNECT;
	try_next_address(c);
}

static void resolve(struct tls_client *c, const char *host, unsigned port)
{
	if (target_is_ip(host)) {
		/* A literal address resolves without a lookup: no thread needed. */
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
		struct addrinfo *res = NULL;
		char p[8];
		snprintf(p, sizeof(p), "%u", port);
		int rc = getaddrinfo(host, p, &hints, &res);
		on_resolved(c, rc, res);
		return;
	}
	c->phase = P_RESOLVE;
	c->rj = resolve_start(c->loop, host, port, on_resolved, c);
	if (!c->rj) {
		c->rep->handshake.gai_error = EAI_SYSTEM;
		trace_set_error(c->rep, "cannot start name resolution: out of threads");
		c->unreached(c);
	}
}

void reach_start(struct tls_client *c, void (*reached)(struct tls_client *c),
		 void (*unreached)(struct tls_client *c))
{
	c->reached = reached;
	c->unreached = unreached;
	/* Through a proxy the target's name is the proxy's to resolve, but with socks5://. */
	c->resolving_target = c->cfg.proxy && proxy_resolves_here(&c->px_spec);
	if (!c->cfg.proxy || c->resolving_target)
		resolve(c, c->cfg.host, c->cfg.port);
	else
		resolve(c, c->px_spec.host, c->px_spec.port);
}

void reach_timeout(struct tls_client *c)
{
	char who[400];

	switch (c->phase) {
	case P_RESOLVE:
		resolve_cancel(c->rj);
		c->rj = NULL;
		c->rep->handshake.gai_error = EAI_AGAIN;
		if (c->cfg.proxy && !c->resolving_target)
			c->rep->proxy.outcome = PROXY_FAILED;
		trace_set_error(c->rep, "resolving %s took longer than %.1f s",
				c->cfg.proxy && !c->resolving_target ? c->px_spec.host
								     : c->cfg.host,
				c->cfg.timeout_s);
		break;
	case P_CONNECT:
		peer_words(c, who, sizeof(who));
		c->rep->handshake.sys_errno = ETIMEDOUT;
		if (c->cfg.proxy)
			c->rep->proxy.outcome = PROXY_FAILED;
		trace_set_error(c->rep, "TCP connection to %s not established within %.1f s", who,
				c->cfg.timeout_s);
		break;
	case P_PROXY:
		proxy_timeout(c->px, c->cfg.timeout_s);
		break;
	default:
		break;
	}
}
