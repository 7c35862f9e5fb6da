/* The sinks (src/sinks/): the renderers of a report (a human text report, the JSON report),
 * the report sinks that commands give the engine, and the recorder of event streams. */
#ifndef TLSSCOPE_SINKS_H
#define TLSSCOPE_SINKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "tlsscope/event.h"
#include "tlsscope/inspect.h"
#include "tlsscope/profiles.h"
#include "tlsscope/report.h"

/* The JSON object of DESIGN.md §4. Caller owns the reference (json_decref). */
json_t *report_json_build(const struct tls_report *r);

/* Serialised: pretty for one report, one line for JSON Lines. ASCII only: control and bidi
 * characters travel as \u escapes. Caller frees. */
char *report_json_dump(const struct tls_report *r, bool one_line);
/* The same, written into f as it is made (no newline after it). */
void report_json_write(FILE *f, const struct tls_report *r, bool one_line);

/* The human report: target, timeline, negotiated, chain, verification, findings. Every string
 * from the network or a certificate is escaped; color uses ANSI SGR when asked. */
void report_text_print(FILE *out, const struct tls_report *r, bool color);

/* Listen mode, --batch: one line per connection (the time of day at when, 0: now; peer,
 * version, client certificate, verdict), then one indented line per finding. */
void report_text_line(FILE *out, const struct tls_report *r, bool color, long long when);

/* inspect (and pki, which inspects what it wrote): files, certificates, keys, the chain,
 * findings. mode is "inspect" or "pki"; dir is pki's directory or NULL. */
char *inspect_json_dump(const struct inspect_result *r, const char *mode, const char *dir,
			bool legacy);
void inspect_text_print(FILE *out, const struct inspect_result *r, bool color);

/* explain: the recognised messages, as text or as {"mode": "explain", "matches": [...]}
 * (docs/explain.schema.json; caller frees the string). */
void explain_text_print(FILE *out, const struct profile_match *m, size_t n, bool color);
char *explain_json_dump(const struct profile_match *m, size_t n);

/* ---- sinks: what a command chooses once, and the engine's events flow into ---- */

enum sink_format {
	SINK_TEXT,	/* the human report of each connection (report_text_print) */
	SINK_TEXT_LINE, /* listen --batch: one line per connection (report_text_line) */
	SINK_JSON,	/* one pretty JSON object per connection */
	SINK_JSONL,	/* JSON Lines: one object per line per connection */
};

/* Where a sink's renderings go. begin gives the FILE for the next report; end is called once
 * it is rendered there and returns 0, or -1 when the output is gone (the sink then drops the
 * reports that follow). */
struct sink_output {
	FILE *(*begin)(void *arg);
	int (*end)(void *arg, const struct tls_report *r);
	void *arg;
};

/* A report sink: text, text lines, JSON or JSON Lines, as a struct tls_sink. It renders each
 * connection's report when the report is final (EV_DONE); the other events only tell it that a
 * connection is under way. Zero-initialise, then report_sink_init; nothing to free. */
struct report_sink {
	struct tls_sink sink; /* give &sink to the engine: sink.ctx is this struct */
	enum sink_format format;
	bool color;
	/* The wall-clock time a text line shows: 0 is now; a replay gives the capture's. */
	long long clock;
	struct sink_output out;
	FILE *file; /* report_sink_init_file's */
	bool stopped;
};

void report_sink_init(struct report_sink *s, enum sink_format format, bool color,
		      const struct sink_output *out);
/* Renders into f (which the caller keeps). */
void report_sink_init_file(struct report_sink *s, enum sink_format format, bool color, FILE *f);

/* One report rendered as format into f, as the sink does at EV_DONE (with the sink's clock
 * for a text line; 0: now). */
void report_render(FILE *f, enum sink_format format, const struct tls_report *r, bool color,
		   long long clock);

/* inspect/pki and explain render one result: text or JSON, chosen once by the command. */
void inspect_render(FILE *f, enum sink_format format, const struct inspect_result *r,
		    const char *mode, const char *dir, bool legacy, bool color);
void explain_render(FILE *f, enum sink_format format, const struct profile_match *m, size_t n,
		    bool color);

/* ---- recordings: the event stream of real handshakes, for golden replay tests ---- */

/* A recording sink writes every event it gets to f as JSON Lines: a header with the capture
 * time, each step, and at EV_DONE the whole final report (every field of struct tls_report)
 * with the wall-clock time it ended. Connections that run at once (listen) are told apart by
 * a number. next (may be NULL) gets every event too: the recorder stands in front of the
 * command's own sink. Init writes the header; nothing to free but f, which stays the
 * caller's. */
#define RECORD_MAX_ACTIVE 64
struct record_sink {
	struct tls_sink sink;
	FILE *f;
	const struct tls_sink *next;
	struct {
		const struct tls_report *r;
		unsigned id;
	} active[RECORD_MAX_ACTIVE];
	unsigned next_id;
};
void record_sink_init(struct record_sink *s, FILE *f, const struct tls_sink *next);

/* Replays a recording into sink: each step as EV_STEP with a report that holds the steps so
 * far, each final report as EV_DONE. *clock (may be NULL) receives each final report's
 * wall-clock time just before its EV_DONE, so a sink renders against the capture's time.
 * Returns the number of reports replayed, or -1 with err set (unreadable, not a recording). */
int record_replay(FILE *f, const struct tls_sink *sink, long long *clock, struct tls_error *err);

#endif
