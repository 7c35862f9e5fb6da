#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tlsscope/names.h"

void trace_emit(struct tls_trace *t, enum tls_event_type type, const struct tls_step *step)
{
	struct tls_event ev = {
		.type = type, .t_ms = trace_elapsed(t), .step = step, .report = t->rep};
	if (t->sink.fn)
		t->sink.fn(t->sink.ctx, &ev);
}

double trace_elapsed(const struct tls_trace *t)
{
	return util_now_ms() - t->t0;
}

struct tls_step *trace_step(struct tls_trace *t, enum tls_dir dir, enum tls_step_type type,
			    const char *detail)
{
	struct tls_step *s = report_add_step(t->rep, trace_elapsed(t), dir, type, detail);
	trace_emit(t, EV_STEP, s);
	return s;
}

void trace_set_error(struct tls_report *r, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(r->handshake.error);
	r->handshake.error = xstrdup(buf);
}

void trace_alert(struct tls_trace *t, bool sent, int level, int code, bool post)
{
	struct tls_report *r = t->rep;
	struct tls_alert *a = sent ? &r->handshake.alert_sent : &r->handshake.alert_received;
	const char *name = names_alert(code);
	char detail[96];

	a->present = true;
	a->level = level;
	a->code = code;
	if (!sent) {
		r->handshake.post_handshake_alert = post;
		if (level == GNUTLS_AL_FATAL)
			t->fatal_alert_seen = true;
	}
	char lvl[32];
	if (level == GNUTLS_AL_WARNING || level == GNUTLS_AL_FATAL)
		snprintf(lvl, sizeof(lvl), "%s", names_alert_level(level));
	else
		snprintf(lvl, sizeof(lvl), "invalid level %d,", level);
	snprintf(detail, sizeof(detail), "%s %s (%d)%s", lvl, name ? name : "unknown", code,
		 post ? " after the handshake" : "");
	trace_step(t, sent ? TLS_DIR_SENT : TLS_DIR_RECEIVED, STEP_ALERT, detail);
}

void trace_received_alert(struct tls_trace *t, int rc, bool post)
{
	int code = (int)gnutls_alert_get(t->s);
	int level = rc == GNUTLS_E_FATAL_ALERT_RECEIVED ? GNUTLS_AL_FATAL : GNUTLS_AL_WARNING;

	/* The level on the wire, when the alert came in the clear (see scan_records). */
	if (t->raw_alert_code == code)
		level = t->raw_alert_level;
	trace_alert(t, false, level, code, post);
}

void trace_close(struct tls_trace *t)
{
	char buf[4096];

	if (t->fd < 0)
		return;
	shutdown(t->fd, SHUT_WR);
	for (int i = 0; i < 64 && recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
	close(t->fd);
	t->fd = -1;
}

bool trace_is_transport_error(int rc)
{
	return rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR ||
	       rc == GNUTLS_E_PREMATURE_TERMINATION;
}

bool trace_salvage_alert(struct tls_trace *t)
{
	unsigned char buf[1024];
	ssize_t n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT);

	for (ssize_t i = 0; n > 0 && i + 5 <= n;) {
		size_t len = ((size_t)buf[i + 3] << 8) | buf[i + 4];
		if (buf[i + 1] != 3)
			break;
		if (buf[i] == 21 && len == 2 && i + 7 <= n) {
			trace_alert(t, false, buf[i + 5], buf[i + 6], false);
			return true;
		}
		i += 5 + (ssize_t)len;
	}
	return false;
}

bool trace_send_alert(struct tls_trace *t, int rc)
{
	int level = 0;
	int code = gnutls_error_to_alert(rc, &level);

	if (code < 0 || gnutls_alert_send_appropriate(t->s, rc) < 0)
		return false;
	trace_alert(t, true, level, code, false);
	return true;
}

/* gnutls_handshake_get_last_in/out answer a default before any message went that way. */
static bool has_step(const struct tls_report *r, enum tls_dir dir)
{
	for (size_t i = 0; i < r->handshake.n_steps; i++)
		if (r->handshake.steps[i].dir == dir && r->handshake.steps[i].type != STEP_ALERT)
			return true;
	return false;
}

int trace_handshake(struct tls_trace *t, short *events)
{
	for (;;) {
		int rc = gnutls_handshake(t->s);
		if (rc == 0)
			return 0;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			*events = gnutls_record_get_direction(t->s) ? POLLOUT : POLLIN;
			return 1;
		}
		if (rc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
			trace_received_alert(t, rc, false);
			continue;
		}
		if (gnutls_error_is_fatal(rc))
			return rc;
	}
}

void trace_handshake_failed(struct tls_trace *t, int rc)
{
	struct tls_report *r = t->rep;
	const char *last_in = NULL, *last_out = NULL;
	bool salvaged = false;

	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED || rc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
		trace_received_alert(t, rc, false);
	} else if (trace_is_transport_error(rc)) {
		salvaged = trace_salvage_alert(t);
		if (!salvaged)
			r->handshake.peer_closed = true;
	} else {
		if (rc == GNUTLS_E_UNEXPECTED_PACKET_LENGTH || rc == GNUTLS_E_UNEXPECTED_PACKET ||
		    rc == GNUTLS_E_UNSUPPORTED_VERSION_PACKET) {
			/* Perhaps not TLS at all: keep what else already arrived, to show it. */
			size_t have = r->handshake.n_first_bytes;
			ssize_t n = recv(t->fd, r->handshake.first_bytes + have,
					 sizeof(r->handshake.first_bytes) - have, MSG_DONTWAIT);
			if (n > 0)
				r->handshake.n_first_bytes += (size_t)n;
		}
		/* An alert GnuTLS refused to take as one (one before the ClientHello, say) is
		 * still what the peer said. */
		if (!r->handshake.alert_received.present && t->raw_alert_code >= 0)
			trace_alert(t, false, t->raw_alert_level, t->raw_alert_code, false);
		trace_send_alert(t, rc);
	}
	/* Where it broke: the last message each way that GnuTLS saw. */
	if (has_step(r, TLS_DIR_RECEIVED))
		last_in = names_step(names_step_from_gnutls(gnutls_handshake_get_last_in(t->s)));
	if (has_step(r, TLS_DIR_SENT))
		last_out = names_step(names_step_from_gnutls(gnutls_handshake_get_last_out(t->s)));
	if (r->handshake.n_steps)
		r->handshake.steps[r->handshake.n_steps - 1].failure_point = true;
	trace_set_error(r, "%s (last sent: %s, last received: %s)",
			salvaged ? "The peer sent a fatal alert and closed while our flight was "
				   "still going out"
				 : gnutls_strerror(rc),
			last_out ? last_out : "nothing", last_in ? last_in : "nothing");
}

void trace_message(struct tls_trace *t, bool incoming, enum tls_step_type type,
		   const gnutls_datum_t *msg)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "%u bytes", msg ? msg->size : 0);
	trace_step(t, incoming ? TLS_DIR_RECEIVED : TLS_DIR_SENT, type, detail);
}

bool trace_hook_takes(unsigned when, unsigned incoming)
{
	return incoming ? when == GNUTLS_HOOK_PRE : when == GNUTLS_HOOK_POST;
}

/* Follows record boundaries in what arrives and keeps the level and code of each complete
 * two-byte alert record (content type 21). Encrypted alerts travel as longer records (TLS 1.2
 * adds a MAC; TLS 1.3 hides them as type 23), so only plaintext ones are seen: those are the
 * ones whose level GnuTLS does not report faithfully. */
static void scan_records(struct tls_trace *t, const unsigned char *p, size_t n)
{
	while (n > 0) {
		if (t->rec.hdr_have < sizeof(t->rec.hdr)) {
			t->rec.hdr[t->rec.hdr_have++] = *p++;
			n--;
			if (t->rec.hdr_have == sizeof(t->rec.hdr)) {
				t->rec.body_left = ((size_t)t->rec.hdr[3] << 8) | t->rec.hdr[4];
				t->rec.body_have = 0;
			}
			continue;
		}
		size_t take = n < t->rec.body_left ? n : t->rec.body_left;
		bool alert = t->rec.hdr[0] == 21 && t->rec.hdr[3] == 0 && t->rec.hdr[4] == 2;
		for (size_t i = 0; alert && i < take && t->rec.body_have < 2; i++)
			t->rec.body[t->rec.body_have++] = p[i];
		p += take;
		n -= take;
		t->rec.body_left -= take;
		if (t->rec.body_left == 0) {
			if (alert && t->rec.body_have == 2) {
				t->raw_alert_level = t->rec.body[0];
				t->raw_alert_code = t->rec.body[1];
			}
			t->rec.hdr_have = 0;
		}
	}
}

static ssize_t socket_pull(void *ctx, void *buf, size_t len)
{
	const struct tls_trace *t = ctx;

	return recv(t->fd, buf, len, 0);
}

static ssize_t socket_push(void *ctx, const void *buf, size_t len)
{
	const struct tls_trace *t = ctx;

	return send(t->fd, buf, len, MSG_NOSIGNAL);
}

static int socket_wait(void *ctx)
{
	const struct tls_trace *t = ctx;
	struct pollfd pfd = {.fd = t->fd, .events = POLLIN};

	return poll(&pfd, 1, 0);
}

static ssize_t on_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct tls_trace *t = p;
	struct tls_report *r = t->rep;
	ssize_t n = t->io.pull(t->io.ctx, buf, len);

	if (n < 0) {
		gnutls_transport_set_errno(t->s, errno);
		return -1;
	}
	size_t room = sizeof(r->handshake.first_bytes) - r->handshake.n_first_bytes;
	size_t take = (size_t)n < room ? (size_t)n : room;
	memcpy(r->handshake.first_bytes + r->handshake.n_first_bytes, buf, take);
	r->handshake.n_first_bytes += take;
	scan_records(t, buf, (size_t)n);
	return n;
}

static ssize_t on_push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct tls_trace *t = p;

	if (t->push_errno)
		return (ssize_t)len; /* the peer is gone: see defer_push_errors */
	ssize_t n = t->io.push(t->io.ctx, buf, len);

	if (n < 0 && t->defer_push_errors && (errno == EPIPE || errno == ECONNRESET)) {
		t->push_errno = errno;
		return (ssize_t)len;
	}
	if (n < 0)
		gnutls_transport_set_errno(t->s, errno);
	return n;
}

/* The socket transport's push of all the records GnuTLS has queued, in one sendmsg: without it
 * GnuTLS pushes a record a time, and a TLS 1.3 server flight (ServerHello to Finished) costs a
 * system call and a loopback packet per record. giovec_t is struct iovec (gnutls.h). */
static ssize_t on_vec_push(gnutls_transport_ptr_t p, const giovec_t *iov, int iovcnt)
{
	struct tls_trace *t = p;
	struct msghdr msg = {.msg_iov = (struct iovec *)(void *)iov, .msg_iovlen = (size_t)iovcnt};
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (t->push_errno)
		return (ssize_t)len; /* the peer is gone: see defer_push_errors */
	ssize_t n = sendmsg(t->fd, &msg, MSG_NOSIGNAL);

	if (n < 0 && t->defer_push_errors && (errno == EPIPE || errno == ECONNRESET)) {
		t->push_errno = errno;
		return (ssize_t)len;
	}
	if (n < 0)
		gnutls_transport_set_errno(t->s, errno);
	return n;
}

/* Sessions are non-blocking: GnuTLS asks with 0 and the loop does the waiting. */
static int on_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct tls_trace *t = p;

	(void)ms;
	return t->io.wait(t->io.ctx);
}

void *trace_owner(gnutls_session_t s)
{
	struct tls_trace *t = gnutls_session_get_ptr(s);
	return t->owner;
}

FILE *trace_keylog_open(const char *path, struct tls_error *err)
{
	/* O_NONBLOCK: opening a FIFO for writing would wait, without end, for a reader (and
	 * fails with ENXIO when there is none); FIFOs and sockets are refused, a device such as
	 * /dev/null is written as it is. */
	int fd =
		open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);
	struct stat st;
	FILE *f = NULL;

	if (fd < 0 && errno == ENXIO) {
		tls_error_set(err, "--keylog %s: not a regular file", path);
		return NULL;
	}
	if (fd >= 0 && fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		tls_error_set(err, "--keylog %s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0)
		f = fdopen(fd, "a");
	if (!f) {
		tls_error_set(err, "--keylog %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* NSS key log format: LABEL CLIENT_RANDOM SECRET, in hex, a line each (what Wireshark reads).
 * The line is written and flushed at once, so that a failed write (a full disk) is seen with its
 * errno and recorded in the report: the caller decides what to tell the user. */
static int on_keylog(gnutls_session_t s, const char *label, const gnutls_datum_t *secret)
{
	struct tls_trace *t = gnutls_session_get_ptr(s);
	gnutls_datum_t client_random, server_random;
	char line[1024];
	size_t n;

	if (!t->keylog)
		return 0;
	gnutls_session_get_random(s, &client_random, &server_random);
	n = (size_t)snprintf(line, sizeof(line), "%.64s ", label);
	for (unsigned i = 0; i < client_random.size && n + 3 < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", client_random.data[i]);
	n += (size_t)snprintf(line + n, sizeof(line) - n, " ");
	for (unsigned i = 0; i < secret->size && n + 3 < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", secret->data[i]);
	snprintf(line + n, sizeof(line) - n, "\n");
	if ((fputs(line, t->keylog) == EOF || fflush(t->keylog) == EOF) && !t->rep->keylog_errno)
		t->rep->keylog_errno = errno ? errno : EIO;
	gnutls_memset(line, 0, sizeof(line));
	return 0;
}

void trace_set_transport(struct tls_trace *t)
{
	gnutls_session_set_ptr(t->s, t);
	t->raw_alert_code = -1;
	bool sock = !t->io.pull;

	if (sock)
		t->io = (struct tls_transport){
			.ctx = t, .pull = socket_pull, .push = socket_push, .wait = socket_wait};
	if (t->keylog)
		gnutls_session_set_keylog_function(t->s, on_keylog);
	gnutls_transport_set_ptr(t->s, t);
	gnutls_transport_set_pull_function(t->s, on_pull);
	gnutls_transport_set_push_function(t->s, on_push);
	if (sock) /* after the push function: setting that one clears it */
		gnutls_transport_set_vec_push_function(t->s, on_vec_push);
	gnutls_transport_set_pull_timeout_function(t->s, on_pull_timeout);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void trace_negotiated(struct tls_trace *t)
{
	struct tls_negotiated *n = &t->rep->negotiated;
	gnutls_session_t s = t->s;
	gnutls_datum_t alpn = {0};

	n->present = true;
	n->version = dup_or_null(gnutls_protocol_get_name(gnutls_protocol_get_version(s)));
	n->cipher_suite = dup_or_null(gnutls_ciphersuite_get(s));
	n->group = dup_or_null(gnutls_group_get_name(gnutls_group_get(s)));
	int sign = gnutls_sign_algorithm_get(s);
	n->signature =
		sign > 0 ? dup_or_null(gnutls_sign_get_name((gnutls_sign_algorithm_t)sign)) : NULL;
	/* ALPN data is not NUL-terminated. */
	if (gnutls_alpn_get_selected_protocol(s, &alpn) == 0)
		n->alpn = xmemdup0(alpn.data, alpn.size);
	n->resumed = gnutls_session_is_resumed(s) != 0;
	/* RFC 7627's extended master secret is a TLS 1.2 extension; TLS 1.3 binds the whole
	 * transcript into every secret by design (RFC 8446 §7.1), so it always holds there. */
	n->extended_master_secret = gnutls_session_ext_master_secret_status(s) != 0 ||
				    gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
	n->ocsp_stapled = gnutls_ocsp_status_request_is_checked(s, GNUTLS_OCSP_SR_IS_AVAIL) != 0;
}

int trace_alpn_list(const char *list, gnutls_datum_t out[TRACE_MAX_ALPN], unsigned *n, char **buf,
		    struct tls_error *err)
{
	*n = 0;
	*buf = NULL;
	if (!list || !*list)
		return 0;
	*buf = xstrdup(list);
	for (char *save = NULL, *tok = strtok_r(*buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(tok);
		if (len == 0 || len > 255 || *n == TRACE_MAX_ALPN) {
			tls_error_set(err, "invalid ALPN list '%s': %s", list,
				      len > 255 ? "a protocol name is longer than 255 bytes"
						: "too many protocols");
			return -1;
		}
		out[*n].data = (unsigned char *)tok;
		out[(*n)++].size = (unsigned)len;
	}
	if (*n == 0) {
		tls_error_set(err, "invalid ALPN list '%s': no protocol names", list);
		return -1;
	}
	return 0;
}
