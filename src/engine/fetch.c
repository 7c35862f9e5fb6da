#include "tlsscope/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsscope/util.h"

struct url {
	char host[256];
	char port[8];
	char path[1024];
};

static int url_parse(const char *url, struct url *u)
{
	const char *p, *end;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	p = url + 7;
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end || (size_t)(end - p - 1) >= sizeof(u->host))
			return -1;
		memcpy(u->host, p + 1, (size_t)(end - p - 1));
		u->host[end - p - 1] = 0;
		p = end + 1;
	} else {
		end = p + strcspn(p, ":/?");
		if (end == p || (size_t)(end - p) >= sizeof(u->host))
			return -1;
		memcpy(u->host, p, (size_t)(end - p));
		u->host[end - p] = 0;
		p = end;
	}
	snprintf(u->port, sizeof(u->port), "80");
	if (*p == ':') {
		size_t n = strspn(p + 1, "0123456789");
		if (n == 0 || n >= sizeof(u->port))
			return -1;
		memcpy(u->port, p + 1, n);
		u->port[n] = 0;
		p += 1 + n;
	}
	if (strlen(p) + 2 > sizeof(u->path))
		return -1;
	snprintf(u->path, sizeof(u->path), "%s%s", *p == '/' ? "" : "/", p);
	return 0;
}

/* How often a wait looks at the stop flag: a cancelled fetch ends within this. */
#define STOP_POLL_MS 50

static bool stopped(const atomic_bool *stop)
{
	return stop && atomic_load(stop);
}

/* Waits for events on fd until deadline or stop; 1 ready, 0 timed out or stopped, -1 error. */
static int wait_fd(int fd, short events, double deadline_ms, const atomic_bool *stop)
{
	for (;;) {
		double left = deadline_ms - util_now_ms();
		if (left <= 0 || stopped(stop))
			return 0;
		struct pollfd pfd = {.fd = fd, .events = events};
		int rc = poll(&pfd, 1, left > STOP_POLL_MS ? STOP_POLL_MS : (int)left + 1);
		if ((rc < 0 && errno == EINTR) || rc == 0)
			continue;
		return rc < 0 ? -1 : 1;
	}
}

static int connect_to(const struct url *u, double deadline_ms, const atomic_bool *stop, char **err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
	int rc = getaddrinfo(u->host, u->port, &hints, &res);

	if (rc != 0) {
		*err = xasprintf("%s does not resolve (%s)", u->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1, last = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			last = errno;
			close(fd);
			fd = -1;
			continue;
		}
		int w = wait_fd(fd, POLLOUT, deadline_ms, stop), so = 0;
		socklen_t sl = sizeof(so);
		if (w <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) < 0 || so) {
			last = w == 0 ? ETIMEDOUT : so ? so : errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		*err = xasprintf("cannot connect to %s port %s: %s", u->host, u->port,
				 strerror(last ? last : ECONNREFUSED));
	return fd;
}

static int send_all(int fd, const char *buf, size_t len, double deadline_ms,
		    const atomic_bool *stop)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline_ms, stop) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Splits a complete HTTP/1.x answer into status and body. */
static int parse_answer(unsigned char *buf, size_t len, int *status, unsigned char **out,
			size_t *out_len, char **err)
{
	unsigned char *hdr_end = memmem(buf, len, "\r\n\r\n", 4);
	int major, minor;

	if (!hdr_end || sscanf((char *)buf, "HTTP/%d.%d %d", &major, &minor, status) != 3) {
		*err = xasprintf("the answer is not HTTP");
		return -1;
	}
	unsigned char *body = hdr_end + 4;
	size_t n = len - (size_t)(body - buf);
	*out = xmalloc(n + 1);
	memcpy(*out, body, n);
	(*out)[n] = 0;
	*out_len = n;
	return 0;
}

int fetch_http(const char *url, const char *content_type, const unsigned char *body, size_t len,
	       double deadline_ms, const atomic_bool *stop, unsigned char **out, size_t *out_len,
	       int *status, char **err)
{
	struct url u;
	char *head = NULL;
	unsigned char *buf = NULL;
	size_t n = 0;
	int rc = -1, fd = -1;

	*out = NULL;
	*err = NULL;
	if (url_parse(url, &u) < 0) {
		*err = xasprintf("not an http:// URL");
		return -1;
	}
	fd = connect_to(&u, deadline_ms, stop, err);
	if (fd < 0)
		goto out;
	if (body)
		head = xasprintf("POST %s HTTP/1.0\r\nHost: %s\r\nContent-Type: %s\r\n"
				 "Content-Length: %zu\r\nUser-Agent: tlsscope/%s\r\n\r\n",
				 u.path, u.host, content_type, len, TLSSCOPE_VERSION);
	else
		head = xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: tlsscope/%s\r\n\r\n",
				 u.path, u.host, TLSSCOPE_VERSION);
	if (send_all(fd, head, strlen(head), deadline_ms, stop) < 0 ||
	    (body && send_all(fd, (const char *)body, len, deadline_ms, stop) < 0)) {
		*err = xasprintf("%s port %s did not take the request", u.host, u.port);
		goto out;
	}
	buf = xmalloc(FETCH_MAX_BODY + 8192 + 1);
	for (;;) {
		if (n >= FETCH_MAX_BODY + 8192) {
			*err = xasprintf("the answer is larger than %d bytes", FETCH_MAX_BODY);
			goto out;
		}
		ssize_t k = recv(fd, buf + n, FETCH_MAX_BODY + 8192 - n, 0);
		if (k > 0) {
			n += (size_t)k;
			continue;
		}
		if (k == 0)
			break;
		if (errno == EAGAIN || errno == EINTR) {
			int w = wait_fd(fd, POLLIN, deadline_ms, stop);
			if (w > 0)
				continue;
			*err = xasprintf(w < 0		 ? "reading the answer failed"
					 : stopped(stop) ? "stopped"
							 : "no complete answer before the timeout");
			goto out;
		}
		*err = xasprintf("reading the answer failed: %s", strerror(errno));
		goto out;
	}
	buf[n] = 0;
	rc = parse_answer(buf, n, status, out, out_len, err);
out:
	if (fd >= 0)
		close(fd);
	free(head);
	free(buf);
	return rc;
}
