/* The renderers of a finished report: a human text report and the JSON report. */
#ifndef TLSSCOPE_SINKS_H
#define TLSSCOPE_SINKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "tlsscope/inspect.h"
#include "tlsscope/profiles.h"
#include "tlsscope/report.h"

/* The JSON object of DESIGN.md §4. Caller owns the reference (json_decref). */
json_t *report_json_build(const struct tls_report *r);

/* Serialised: pretty for one report, one line for JSON Lines. ASCII only: control and bidi
 * characters travel as \u escapes. Caller frees. */
char *report_json_dump(const struct tls_report *r, bool one_line);

/* The human report: target, timeline, negotiated, chain, verification, findings. Every string
 * from the network or a certificate is escaped; color uses ANSI SGR when asked. */
void report_text_print(FILE *out, const struct tls_report *r, bool color);

/* Listen mode, --batch: one line per connection (time, peer, version, client certificate,
 * verdict), then one indented line per finding. */
void report_text_line(FILE *out, const struct tls_report *r, bool color);

/* inspect (and pki, which inspects what it wrote): files, certificates, keys, the chain,
 * findings. mode is "inspect" or "pki"; dir is pki's directory or NULL. */
char *inspect_json_dump(const struct inspect_result *r, const char *mode, const char *dir,
			bool legacy);
void inspect_text_print(FILE *out, const struct inspect_result *r, bool color);

/* explain: the recognised messages, as text or as {"mode": "explain", "matches": [...]}
 * (docs/explain.schema.json; caller frees the string). */
void explain_text_print(FILE *out, const struct profile_match *m, size_t n, bool color);
char *explain_json_dump(const struct profile_match *m, size_t n);

#endif
