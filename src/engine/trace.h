/* Engine-internal: what client and server sessions share to trace a TLS session into a
 * report — timestamps, one step per message, alerts, and a transport that keeps the peer's
 * first bytes (to recognise a peer that does not speak TLS). */
#ifndef TLSSCOPE_ENGINE_TRACE_H
#define TLSSCOPE_ENGINE_TRACE_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "tlsscope/event.h"
#include "tlsscope/report.h"

/* Where a session's bytes go and come from: a socket by default (trace_set_transport), or
 * memory in a test that drives a client and a server without sockets (as GnuTLS's own
 * tests/eagain-common.h does). pull and push return a byte count, or -1 with errno set (EAGAIN:
 * nothing yet); wait says whether pull would give something now (1) or not (0). The socket
 * transport also takes all the records GnuTLS has queued (a whole flight) in one sendmsg. */
struct tls_transport {
	void *ctx;
	ssize_t (*pull)(void *ctx, void *buf, size_t len);
	ssize_t (*push)(void *ctx, const void *buf, size_t len);
	int (*wait)(void *ctx);
};

struct session_config;

struct tls_trace {
	struct tls_report *rep;
	struct tls_sink sink;
	double t0; /* util_now_ms() when the connection started */
	int fd;	   /* the socket, -1 when closed */
	gnutls_session_t s;
	bool fatal_alert_seen;
	void *owner;  /* the client or server connection; the session's pointer is the trace */
	FILE *keylog; /* NSS key log to append to, or NULL */
	/* The plaintext record stream as it arrives, read by on_pull: GnuTLS maps an alert of
	 * any level but fatal to a warning, so the level a peer really sent is taken from the
	 * last unencrypted alert record seen here (raw_alert_code -1: none). */
	struct {
		unsigned char hdr[5];
		unsigned hdr_have;
		size_t body_left;
		unsigned char body[2];
		unsigned body_have;
	} rec;
	int raw_alert_level, raw_alert_code;
	/* A peer that refuses us sends its alert and resets the connection, and our next write
	 * (TLS 1.3: the client's Finished) fails first; GnuTLS would then drop the session and
	 * the alert with it. With defer_push_errors a write failing with EPIPE or ECONNRESET
	 * counts as sent, the errno is kept here, and what the peer sent is read as usual:
	 * its alert, or the close. */
	bool defer_push_errors;
	int push_errno;
	/* Set by trace_set_transport: the socket t->fd unless io.pull was set before. */
	struct tls_transport io;
	struct session_config *session; /* session.c's copy of what the session was made with */
};

/* The owner of the session s (set up with trace_set_transport). */
void *trace_owner(gnutls_session_t s);

/* Opens path for appending an NSS key log (mode 0600). NULL with err set on failure. */
FILE *trace_keylog_open(const char *path, struct tls_error *err);

void trace_emit(struct tls_trace *t, enum tls_event_type type, const struct tls_step *step);
double trace_elapsed(const struct tls_trace *t);
struct tls_step *trace_step(struct tls_trace *t, enum tls_dir dir, enum tls_step_type type,
			    const char *detail);

/* Records an alert (sent or received) in the report and as a step. */
void trace_alert(struct tls_trace *t, bool sent, int level, int code, bool post);
/* Records the alert GnuTLS just returned (rc is GNUTLS_E_{FATAL,WARNING}_ALERT_RECEIVED). */
void trace_received_alert(struct tls_trace *t, int rc, bool post);

/* A peer that rejects us mid-flight sends its alert and closes; our next write then fails
 * before GnuTLS reads the alert. A plaintext alert still sits in the socket's receive queue:
 * read it from there. Returns true when one was found. */
bool trace_salvage_alert(struct tls_trace *t);

/* Sends the alert that fits rc (a GnuTLS peer sends none unless asked: DESIGN.md §3) and
 * records it. Returns true when one was sent. */
bool trace_send_alert(struct tls_trace *t, int rc);

/* Runs gnutls_handshake as far as it goes without blocking: 0 when complete, 1 when it must
 * wait (*events: POLLIN or POLLOUT), or the fatal GnuTLS error. Warning alerts are recorded. */
int trace_handshake(struct tls_trace *t, short *events);

/* The handshake failed with rc: records the alert received (or salvages it, or notes that the
 * peer closed), keeps more of a non-TLS answer, sends the fitting alert, marks the failure
 * point and sets handshake.error with where it broke. */
void trace_handshake_failed(struct tls_trace *t, int rc);

bool trace_is_transport_error(int rc);

/* Closes t->fd after what was sent (an alert, close_notify): unread bytes from the peer still
 * queued would make the kernel answer with a reset that can overtake our last words, so they
 * are read and dropped first. */
void trace_close(struct tls_trace *t);

/* The handshake hook's once-per-message rule: received messages when they arrive (before
 * GnuTLS processes them, so one that fails processing is still listed), sent ones once built. */
bool trace_hook_takes(unsigned when, unsigned incoming);

/* Records one handshake message as a step ("N bytes"). */
void trace_message(struct tls_trace *t, bool incoming, enum tls_step_type type,
		   const gnutls_datum_t *msg);

/* Sets t as the session's transport (t->io, or recv/send on t->fd when io.pull is NULL), keeping
 * the first bytes received, and its pointer; writes the key log when t->keylog is set. */
void trace_set_transport(struct tls_trace *t);

/* The negotiated parameters of a completed handshake, into t->rep->negotiated. */
void trace_negotiated(struct tls_trace *t);

/* An ALPN list as people type it ("h2,http/1.1") into GnuTLS datums pointing into *buf (which
 * the caller frees). Returns 0 (an empty or NULL list gives none), or -1 with err set. */
#define TRACE_MAX_ALPN 16
int trace_alpn_list(const char *list, gnutls_datum_t out[TRACE_MAX_ALPN], unsigned *n, char **buf,
		    struct tls_error *err);

void trace_set_error(struct tls_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
