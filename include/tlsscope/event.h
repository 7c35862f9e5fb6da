/* Events: every observation the engine makes, in order, with a monotonic timestamp. A sink
 * consumes them; the engine never knows whether a TUI, a text report or JSON is listening. */
#ifndef TLSSCOPE_EVENT_H
#define TLSSCOPE_EVENT_H

#include "tlsscope/report.h"

enum tls_event_type {
	EV_RESOLVED,  /* target.address is known */
	EV_CONNECTED, /* TCP is up */
	EV_STEP,      /* a handshake message, alert or probe: ev->step */
	EV_HANDSHAKE, /* the handshake ended (report->handshake.status says how) */
	EV_VERIFIED,  /* chain facts and verification are in the report */
	EV_HTTP,      /* the HTTP probe ended */
	EV_DONE,      /* the report is final (findings, verdict) */
};

struct tls_event {
	enum tls_event_type type;
	double t_ms;
	const struct tls_step *step;	 /* EV_STEP only */
	const struct tls_report *report; /* always: the report as it stands */
};

/* A sink: fn is called on the loop thread for every event; it must not block. */
struct tls_sink {
	void (*fn)(void *ctx, const struct tls_event *ev);
	void *ctx;
};

#endif
