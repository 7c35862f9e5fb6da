#include "tlsscope/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>

#include "tlsscope/target.h"
#include "tlsscope/textsafe.h"
#include "trace.h"

/* A proxy that drips or floods is bounded: its whole answer to CONNECT (status line and
 * headers) fits here, and what is shown of it is cut. */
#define ANSWER_MAX_BYTES 16384
#define DETAIL_MAX_BYTES 600

static const struct {
	const char *scheme;
	enum tls_proxy_kind kind;
	const char *label;
} schemes[] = {
	{"http", PROXY_HTTP, "HTTP CONNECT"},
	{"socks5", PROXY_SOCKS5, "SOCKS5"},
	{"socks5h", PROXY_SOCKS5H, "SOCKS5 (name resolved by the proxy)"},
};

#define N_SCHEMES (sizeof(schemes) / sizeof(schemes[0]))

const char *proxy_kind_label(enum tls_proxy_kind k)
{
	for (size_t i = 0; i < N_SCHEMES; i++)
		if (schemes[i].kind == k)
			return schemes[i].label;
	return "proxy";
}

static int parse_error(struct tls_error *err, const char *url, const char *why)
{
	char *shown = textsafe_escape(url, strlen(url));
	tls_error_set(err, "--proxy '%s': %s", shown, why);
	free(shown);
	return -1;
}

int proxy_parse(const char *url, struct tls_proxy_spec *out, struct tls_error *err)
{
	const char *sep = strstr(url, "://");
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; sep && i < N_SCHEMES; i++)
		if (strlen(schemes[i].scheme) == (size_t)(sep - url) &&
		    strncasecmp(url, schemes[i].scheme, (size_t)(sep - url)) == 0)
			break;
	if (!sep || i == N_SCHEMES)
		return parse_error(
			err, url,
			"give http://HOST:PORT, socks5://HOST:PORT or socks5h://HOST:PORT");
	out->kind = schemes[i].kind;
	const char *rest = sep + 3;
	const char *slash = strchr(rest, '/');
	if (slash && slash[1])
		return parse_error(err, url, "a proxy URL has no path");
	size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
	char hostport[300];
	if (len >= sizeof(hostport))
		return parse_error(err, url, "too long");
	memcpy(hostport, rest, len);
	hostport[len] = 0;
	char *at = strrchr(hostport, '@');
	if (at) {
		*at = 0;
		if (strchr(hostport, ':')) {
			/* Not echoed: the URL holds the password. */
			tls_error_set(err,
				      "--proxy: no password in the URL (it would be seen in ps "
				      "and the shell's history): give it with "
				      "--proxy-password-file");
			gnutls_memset(hostport, 0, sizeof(hostport));
			return -1;
		}
		if (!hostport[0] || strlen(hostport) >= sizeof(out->user))
			return parse_error(err, url,
					   "the user name before '@' is empty or too long");
		strcpy(out->user, hostport);
		memmove(hostport, at + 1, strlen(at + 1) + 1);
	}
	struct tls_target t;
	struct tls_error terr = {{0}};
	if (target_parse(hostport, 0, &t, &terr) < 0)
		return parse_error(err, url, terr.msg);
	snprintf(out->host, sizeof(out->host), "%s", t.host);
	out->port = t.port;
	return 0;
}

void proxy_describe(const struct tls_proxy_spec *p, char *buf, size_t size)
{
	const char *scheme = "http";
	for (size_t i = 0; i < N_SCHEMES; i++)
		if (schemes[i].kind == p->kind)
			scheme = schemes[i].scheme;
	bool v6 = strchr(p->host, ':') != NULL;
	snprintf(buf, size, "%s://%s%s%s%s%s:%u", scheme, p->user, p->user[0] ? "@" : "",
		 v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
}

bool proxy_resolves_here(const struct tls_proxy_spec *p)
{
	return p->kind == PROXY_SOCKS5;
}

/* ---- the exchange ---- */

enum stage {
	S_HTTP_CONNECT,	 /* CONNECT sent, reading the status line and headers */
	S_SOCKS_METHODS, /* greeting sent, reading the chosen method (2 bytes) */
	S_SOCKS_AUTH,	 /* username/password sent, reading its status (2 bytes) */
	S_SOCKS_REQUEST, /* CONNECT request sent, reading the reply (10, 22 or 7 + n bytes) */
	S_DONE,
};

struct proxy {
	struct tls_proxy_spec spec;
	struct tls_report *rep;
	char *host;
	unsigned port;
	struct sockaddr_storage addr;
	bool have_addr;
	char *password;
	enum stage stage;
	unsigned char out[2048]; /* CONNECT with a 255-byte host, user and password fits */
	size_t out_len, out_off;
	unsigned char in[ANSWER_MAX_BYTES + 1];
	size_t in_len;
	bool started;
	int fd;
};

struct proxy *proxy_new(const struct tls_proxy_spec *spec, const char *host, unsigned port,
			const struct sockaddr *target_addr, const char *password,
			struct tls_report *rep)
{
	struct proxy *p = xcalloc(1, sizeof(*p));
	char url[600];

	p->spec = *spec;
	p->rep = rep;
	p->host = xstrdup(host);
	p->port = port;
	if (target_addr &&
	    (target_addr->sa_family == AF_INET || target_addr->sa_family == AF_INET6)) {
		memcpy(&p->addr, target_addr,
		       target_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
							 : sizeof(struct sockaddr_in6));
		p->have_addr = true;
	}
	if (password)
		p->password = xstrdup(password);
	proxy_describe(spec, url, sizeof(url));
	free(rep->proxy.url);
	rep->proxy.url = xstrdup(url);
	rep->proxy.kind = proxy_kind_label(spec->kind);
	return p;
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	if (p->password) {
		gnutls_memset(p->password, 0, strlen(p->password));
		free(p->password);
	}
	gnutls_memset(p->out, 0, sizeof(p->out)); /* may hold the password */
	free(p->host);
	free(p);
}

static char *escaped(const unsigned char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	bool cut = n > DETAIL_MAX_BYTES;
	char *e = textsafe_bytes(s, cut ? DETAIL_MAX_BYTES : n);
	if (!cut)
		return e;
	char *r = xasprintf("%s... (%zu bytes)", e, n);
	free(e);
	return r;
}

static int fail(struct proxy *p, enum tls_proxy_outcome why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct proxy *p, enum tls_proxy_outcome why, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->rep->proxy.outcome = why;
	p->stage = S_DONE;
	trace_set_error(p->rep, "%s proxy %s: %s", proxy_kind_label(p->spec.kind),
			p->rep->proxy.url, msg);
	return -1;
}

static void set_answer(struct proxy *p, const unsigned char *s, size_t n)
{
	free(p->rep->proxy.answer);
	p->rep->proxy.answer = escaped(s, n);
}

void proxy_timeout(struct proxy *p, double timeout_s)
{
	if (p->stage == S_DONE)
		return;
	if (p->in_len)
		set_answer(p, p->in, p->in_len);
	/* An HTTP proxy given a SOCKS5 greeting waits for the rest of a request line, silently. */
	fail(p, PROXY_FAILED, "no complete answer within %.1f s%s", timeout_s,
	     p->stage == S_SOCKS_METHODS && !p->in_len
		     ? " (an HTTP proxy says nothing to a SOCKS5 greeting: is it one? then use "
		       "http://)"
		     : "");
}

static void queue(struct proxy *p, struct tls_trace *t, const void *data, size_t n,
		  const char *shown, enum stage next)
{
	memcpy(p->out, data, n);
	p->out_len = n;
	p->out_off = 0;
	p->in_len = 0;
	p->stage = next;
	trace_step(t, TLS_DIR_SENT, STEP_PROXY, shown);
}

static void target_text(const struct proxy *p, char *buf, size_t size)
{
	bool v6 = strchr(p->host, ':') != NULL;
	snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
}

static void queue_http_connect(struct proxy *p, struct tls_trace *t)
{
	char target[300], auth[1024] = "", shown[400];

	target_text(p, target, sizeof(target));
	if (p->spec.user[0]) {
		char cred[600];
		gnutls_datum_t d, b64 = {0};
		int n = snprintf(cred, sizeof(cred), "%s:%s", p->spec.user,
				 p->password ? p->password : "");
		d.data = (unsigned char *)cred;
		d.size = n < 0 ? 0 : (unsigned)n;
		if (gnutls_base64_encode2(&d, &b64) == 0) {
			snprintf(auth, sizeof(auth), "Proxy-Authorization: Basic %.*s\r\n",
				 (int)b64.size, (const char *)b64.data);
			gnutls_memset(b64.data, 0, b64.size);
		}
		gnutls_free(b64.data);
		gnutls_memset(cred, 0, sizeof(cred));
	}
	char req[sizeof(p->out)];
	int n = snprintf(req, sizeof(req),
			 "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsscope/" TLSSCOPE_VERSION
			 "\r\n%s\r\n",
			 target, target, auth);
	/* Cannot be cut: the host, the user and the password are at most 255 bytes each
	 * (proxy_parse, PROXY_MAX_PASSWORD), which makes 1.4 KiB at most. */
	if (n < 0 || (size_t)n >= sizeof(req))
		n = (int)sizeof(req) - 1;
	snprintf(shown, sizeof(shown), "CONNECT %s HTTP/1.1%s", target,
		 auth[0] ? " (Proxy-Authorization: Basic, not shown)" : "");
	queue(p, t, req, (size_t)n, shown, S_HTTP_CONNECT);
	gnutls_memset(req, 0, sizeof(req));
	gnutls_memset(auth, 0, sizeof(auth));
}

static void queue_socks_greeting(struct proxy *p, struct tls_trace *t)
{
	static const unsigned char none[] = {5, 1, 0}, both[] = {5, 2, 0, 2};
	bool auth = p->spec.user[0] != 0;
	queue(p, t, auth ? both : none, auth ? sizeof(both) : sizeof(none),
	      auth ? "greeting: methods no-authentication, username/password"
		   : "greeting: method no-authentication",
	      S_SOCKS_METHODS);
}

static void queue_socks_auth(struct proxy *p, struct tls_trace *t)
{
	unsigned char b[520];
	size_t ul = strlen(p->spec.user), pl = p->password ? strlen(p->password) : 0;
	char shown[400];

	if (ul > 255)
		ul = 255;
	if (pl > 255)
		pl = 255;
	b[0] = 1; /* RFC 1929 version */
	b[1] = (unsigned char)ul;
	memcpy(b + 2, p->spec.user, ul);
	b[2 + ul] = (unsigned char)pl;
	if (pl)
		memcpy(b + 3 + ul, p->password, pl);
	char *user = textsafe_escape(p->spec.user, ul);
	snprintf(shown, sizeof(shown), "username/password: user %s (password not shown)", user);
	free(user);
	queue(p, t, b, 3 + ul + pl, shown, S_SOCKS_AUTH);
	gnutls_memset(b, 0, sizeof(b));
}

static void queue_socks_request(struct proxy *p, struct tls_trace *t)
{
	unsigned char b[300] = {5, 1, 0};
	size_t n = 3;
	char target[300], shown[400];

	if (p->have_addr && p->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&p->addr;
		b[n++] = 1;
		memcpy(b + n, &a->sin_addr, 4);
		n += 4;
		inet_ntop(AF_INET, &a->sin_addr, target, sizeof(target));
	} else if (p->have_addr) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&p->addr;
		b[n++] = 4;
		memcpy(b + n, &a->sin6_addr, 16);
		n += 16;
		inet_ntop(AF_INET6, &a->sin6_addr, target, sizeof(target));
	} else {
		size_t hl = strlen(p->host);
		if (hl > 255)
			hl = 255;
		b[n++] = 3;
		b[n++] = (unsigned char)hl;
		memcpy(b + n, p->host, hl);
		n += hl;
		snprintf(target, sizeof(target), "%s", p->host);
	}
	b[n++] = (unsigned char)(p->port >> 8);
	b[n++] = (unsigned char)(p->port & 0xff);
	snprintf(shown, sizeof(shown), "CONNECT %s port %u%s", target, p->port,
		 p->have_addr ? "" : " (the proxy resolves the name)");
	queue(p, t, b, n, shown, S_SOCKS_REQUEST);
}

static int send_out(struct proxy *p)
{
	while (p->out_off < p->out_len) {
		ssize_t w = send(p->fd, p->out + p->out_off, p->out_len - p->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 1;
		if (w < 0)
			return fail(p, PROXY_FAILED, "sending failed: %s", strerror(errno));
		p->out_off += (size_t)w;
	}
	return 0;
}

/* How many bytes of the answer are still wanted (0: complete). The SOCKS answers have lengths
 * of their own; an HTTP answer ends with its empty line. Only the answer is consumed: the
 * target's first bytes (an SMTP greeting) may follow it at once. */
static size_t wanted(const struct proxy *p)
{
	switch (p->stage) {
	case S_SOCKS_METHODS:
	case S_SOCKS_AUTH:
		return p->in_len < 2 ? 2 - p->in_len : 0;
	case S_SOCKS_REQUEST: {
		size_t need = 5;
		if (p->in_len >= 5)
			need = p->in[3] == 1 ? 10 : p->in[3] == 4 ? 22 : 7 + (size_t)p->in[4];
		return p->in_len < need ? need - p->in_len : 0;
	}
	default:
		return 0;
	}
}

static int closed(struct proxy *p, ssize_t r)
{
	int e = r < 0 ? errno : 0;
	if (p->in_len)
		set_answer(p, p->in, p->in_len);
	p->rep->handshake.peer_closed = e == 0;
	return fail(p, PROXY_FAILED, "the proxy %s before its answer was complete",
		    e ? strerror(e) : "closed the connection");
}

/* The HTTP answer: peeked, and only its status line and headers are taken from the socket. */
static int read_http(struct proxy *p)
{
	for (;;) {
		size_t room = ANSWER_MAX_BYTES - p->in_len;
		if (room == 0) {
			set_answer(p, p->in, p->in_len);
			return fail(p, PROXY_FAILED,
				    "the proxy sent more than %d bytes without ending its answer",
				    ANSWER_MAX_BYTES);
		}
		ssize_t r = recv(p->fd, p->in + p->in_len, room, MSG_DONTWAIT | MSG_PEEK);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 1;
		if (r <= 0)
			return closed(p, r);
		/* The end may straddle what was taken before: search from 3 bytes back. */
		size_t from = p->in_len > 3 ? p->in_len - 3 : 0, take = (size_t)r;
		size_t have = p->in_len + (size_t)r;
		for (size_t i = from; i + 4 <= have; i++)
			if (memcmp(p->in + i, "\r\n\r\n", 4) == 0) {
				take = i + 4 - p->in_len;
				break;
			}
		r = recv(p->fd, p->in + p->in_len, take, MSG_DONTWAIT);
		if (r <= 0)
			return closed(p, r);
		p->in_len += (size_t)r;
		p->in[p->in_len] = 0;
		if (p->in_len >= 4 && memcmp(p->in + p->in_len - 4, "\r\n\r\n", 4) == 0)
			return 0;
	}
}

static int read_socks(struct proxy *p)
{
	size_t need;
	while ((need = wanted(p)) > 0) {
		ssize_t r = recv(p->fd, p->in + p->in_len, need, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 1;
		if (r <= 0)
			return closed(p, r);
		p->in_len += (size_t)r;
	}
	return 0;
}

static void answer_step(struct tls_trace *t, const char *text)
{
	trace_step(t, TLS_DIR_RECEIVED, STEP_PROXY, text);
}

static int judge_http(struct proxy *p, struct tls_trace *t)
{
	char *shown = escaped(p->in, p->in_len);
	answer_step(t, shown);
	free(shown);
	const char *s = (const char *)p->in;
	const char *eol = strstr(s, "\r\n");
	size_t line = eol ? (size_t)(eol - s) : p->in_len;
	int code = 0;
	if (strncmp(s, "HTTP/1.", 7) != 0 || sscanf(s + 8, " %3d", &code) != 1) {
		set_answer(p, p->in, p->in_len);
		return fail(p, PROXY_FAILED, "not an HTTP answer to CONNECT");
	}
	set_answer(p, p->in, line);
	if (code >= 200 && code < 300)
		return 0;
	char *status = escaped(p->in, line);
	int rc = fail(p, PROXY_REFUSED, "CONNECT refused: %s%s", status,
		      code == 407 || code == 401
			      ? (p->spec.user[0] ? " (the user name or password is wrong)"
						 : " (the proxy wants a user: "
						   "http://USER@HOST:PORT and "
						   "--proxy-password-file)")
			      : "");
	free(status);
	return rc;
}

/* RFC 1928 §6. */
static const char *const socks_replies[] = {
	"succeeded",
	"general SOCKS server failure",
	"connection not allowed by ruleset",
	"network unreachable",
	"host unreachable",
	"connection refused",
	"TTL expired",
	"command not supported",
	"address type not supported",
};

static int judge_socks(struct proxy *p, struct tls_trace *t)
{
	char text[200];
	const unsigned char *b = p->in;

	if (b[0] != (p->stage == S_SOCKS_AUTH ? 1 : 5)) {
		set_answer(p, p->in, p->in_len);
		answer_step(t, "not a SOCKS5 answer");
		return fail(p, PROXY_FAILED, "not a SOCKS5 answer (version byte %u)", b[0]);
	}
	if (p->stage == S_SOCKS_METHODS) {
		bool ok = b[1] == 0 || (b[1] == 2 && p->spec.user[0]);
		snprintf(text, sizeof(text), "method %s",
			 b[1] == 0	? "no-authentication"
			 : b[1] == 2	? "username/password"
			 : b[1] == 0xff ? "none acceptable"
					: "unknown");
		answer_step(t, text);
		set_answer(p, (const unsigned char *)text, strlen(text));
		if (!ok)
			return fail(p, PROXY_REFUSED, "%s%s", text,
				    b[1] == 0xff && !p->spec.user[0]
					    ? " (the proxy wants a user: socks5://USER@HOST:PORT "
					      "and --proxy-password-file)"
					    : "");
		return 0;
	}
	if (p->stage == S_SOCKS_AUTH) {
		snprintf(text, sizeof(text), "username/password %s",
			 b[1] == 0 ? "accepted" : "refused");
		answer_step(t, text);
		set_answer(p, (const unsigned char *)text, strlen(text));
		return b[1] == 0 ? 0 : fail(p, PROXY_REFUSED, "%s", text);
	}
	const char *why = b[1] < sizeof(socks_replies) / sizeof(socks_replies[0])
				  ? socks_replies[b[1]]
				  : "unknown reply";
	snprintf(text, sizeof(text), "reply %u: %s", b[1], why);
	answer_step(t, text);
	set_answer(p, (const unsigned char *)text, strlen(text));
	return b[1] == 0 ? 0 : fail(p, PROXY_REFUSED, "CONNECT refused: %s", text);
}

/* What follows an accepted answer. */
static void next(struct proxy *p, struct tls_trace *t)
{
	if (p->stage == S_SOCKS_METHODS && p->in[1] == 2)
		queue_socks_auth(p, t);
	else if (p->stage == S_SOCKS_METHODS || p->stage == S_SOCKS_AUTH)
		queue_socks_request(p, t);
	else
		p->stage = S_DONE;
}

int proxy_run(struct proxy *p, struct tls_trace *t, short *events)
{
	p->fd = t->fd;
	if (p->stage == S_DONE)
		return p->rep->proxy.outcome == PROXY_TUNNEL ? 0 : -1;
	if (!p->started) {
		p->started = true;
		if (p->spec.kind == PROXY_HTTP)
			queue_http_connect(p, t);
		else
			queue_socks_greeting(p, t);
	}
	for (;;) {
		int rc = send_out(p);
		if (rc) {
			*events = POLLOUT;
			return rc;
		}
		rc = p->stage == S_HTTP_CONNECT ? read_http(p) : read_socks(p);
		if (rc) {
			*events = POLLIN;
			return rc;
		}
		rc = p->stage == S_HTTP_CONNECT ? judge_http(p, t) : judge_socks(p, t);
		if (rc < 0)
			return -1;
		next(p, t);
		if (p->stage == S_DONE) {
			p->rep->proxy.outcome = PROXY_TUNNEL;
			return 0;
		}
	}
}
