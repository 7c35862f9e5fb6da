#include "tlsscope/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void (*fatal_hook)(void);

void xalloc_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

static void *check(void *p)
{
	if (!p) {
		if (fatal_hook)
			fatal_hook();
		abort();
	}
	return p;
}

void *xmalloc(size_t n)
{
	return check(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return check(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return check(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return check(strndup(s, n));
}

char *xmemdup0(const void *p, size_t n)
{
	char *s = xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		s = NULL;
	return check(s);
}

void tls_error_set(struct tls_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void strlist_take(struct strlist *l, char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = s;
}

void strlist_add(struct strlist *l, const char *s)
{
	strlist_take(l, xstrdup(s));
}

bool strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool (*read_cancelled)(void);
static int read_wake_fd = -1;

void util_set_read_cancel(bool (*cancelled)(void))
{
	read_cancelled = cancelled;
}

void util_set_read_wake_fd(int fd)
{
	read_wake_fd = fd;
}

static int too_large(const char *path, size_t max, struct tls_error *err)
{
	tls_error_set(err, "%s: file is larger than %zu MiB; refusing to read it", path, max >> 20);
	return -1;
}

/* Waits until fd (a pipe) is readable or hung up, up to end_ms. Returns 1 when it is, 0 at
 * the deadline, -1 when a signal asked to stop, -2 when the wake fd (the TUI's terminal) has
 * input: a key press is not kept waiting behind a pipe. */
static int pipe_wait(int fd, double end_ms)
{
	for (;;) {
		double left = end_ms - util_now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = read_wake_fd, .events = POLLIN}};
		int n = poll(p, read_wake_fd >= 0 ? 2 : 1, (int)left + 1);
		if (n > 0 && p[0].revents)
			return 1;
		if (n > 0 && (p[1].revents & POLLIN))
			return -2;
		if (n < 0 && errno == EINTR && read_cancelled && read_cancelled())
			return -1;
	}
}

/* Opens path for util_read_file: a regular file no bigger than max, or a pipe (*is_pipe). The
 * descriptor, or -1 with err set. */
static int open_input(const char *path, size_t max, bool *is_pipe, struct tls_error *err)
{
	struct stat st;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait, without end and deaf to
	 * signals, for a writer to appear (fifo(7)). O_NOCTTY: a terminal named here must not
	 * become ours. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		/* ENXIO: a socket, or a device with nothing behind it (open(2)). */
		tls_error_set(err, "%s: %s", path,
			      errno == ENXIO ? "not a regular file" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		tls_error_set(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		tls_error_set(err, "%s: is a directory, expected a file", path);
		goto fail;
	}
	*is_pipe = S_ISFIFO(st.st_mode);
	if (!*is_pipe && !S_ISREG(st.st_mode)) {
		tls_error_set(err, "%s: not a regular file", path);
		goto fail;
	}
	if (!*is_pipe && (size_t)st.st_size > max) {
		too_large(path, max, err);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int util_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
		   struct tls_error *err)
{
	unsigned char *buf = NULL;
	size_t have = 0, cap = 0;
	double end_ms = util_now_ms() + TLS_PIPE_WAIT_S * 1000.0;
	bool is_pipe = false;
	int fd = open_input(path, max, &is_pipe, err);

	if (fd < 0)
		return -1;
	for (;;) {
		if (have + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		/* A pipe is read only once poll says so: a FIFO whose writer has not come yet
		 * reads as end-of-file, and that must not pass for an empty file. */
		int ready = is_pipe ? pipe_wait(fd, end_ms) : 1;
		if (ready == 0) {
			tls_error_set(err,
				      have ? "%s: a pipe that did not reach its end within %d s"
					   : "%s: a pipe that gave no data within %d s",
				      path, TLS_PIPE_WAIT_S);
			goto fail;
		}
		if (ready == -2) {
			tls_error_set(err, "%s: a pipe that gave no data before a key was pressed",
				      path);
			goto fail;
		}
		if (ready < 0) {
			tls_error_set(err, "%s: reading was interrupted", path);
			goto fail;
		}
		ssize_t n = read(fd, buf + have, cap - have - 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			tls_error_set(err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > max) {
			too_large(path, max, err);
			goto fail;
		}
	}
	close(fd);
	buf[have] = 0;
	*data = buf;
	*len = have;
	return 0;
fail:
	if (buf)
		explicit_bzero(buf, cap);
	free(buf);
	close(fd);
	return -1;
}

double util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void util_iso_time(long long t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "invalid");
}
