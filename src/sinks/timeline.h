/* The one renderer of timeline lines: a handshake step (message, alert, probe) becomes its line,
 * in the same words for the text report and the TUI's timeline. The time, the direction, the
 * message's name, its detail and the failure mark come from here; the caller only says how each
 * part looks (ANSI colors, TUI styles) through put, and where the layouts differ (padding, the
 * mark before or after the detail) a timeline_layout says so. */
#ifndef TLSSCOPE_SINKS_TIMELINE_H
#define TLSSCOPE_SINKS_TIMELINE_H

#include <stdbool.h>

#include "tlsscope/report.h"

enum timeline_part {
	TL_SPACE,  /* separators */
	TL_TIME,   /* "    +12.4 ms" */
	TL_ARROW,  /* the direction */
	TL_NAME,   /* "ClientHello", padded to name_width */
	TL_MARK,   /* "<< failed here" at the step where the handshake broke */
	TL_DETAIL, /* from the network or a certificate: the caller escapes it */
};

struct timeline_layout {
	const char *sent, *received; /* "->", "<-" (the TUI's glyphs may be arrows) */
	const char *failed_here;     /* the mark's words */
	const char *indent;	     /* before the time */
	const char *arrow_gap;	     /* between the arrow and the name */
	int name_width;		     /* the name is padded to this many columns (0: not padded) */
	const char *detail_gap;	     /* before the detail */
	bool gap_without_detail;     /* detail_gap even when the step has no detail */
	bool mark_first; /* the mark before the detail: a detail cut at the edge keeps it */
	bool no_mark;	 /* never the mark (the text report's resumption) */
};

/* The text report's layout: "      +12.4 ms  ->  ClientHello          detail  << failed here". */
extern const struct timeline_layout timeline_text_layout;

/* Called once per part, in the order of the line; text is never NULL (a missing detail is ""). */
typedef void (*timeline_put_fn)(void *ctx, enum timeline_part part, const struct tls_step *s,
				const char *text);

void timeline_step(const struct tls_step *s, const struct timeline_layout *lay, timeline_put_fn put,
		   void *ctx);

#endif
