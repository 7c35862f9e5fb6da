/* Views: a report (or part of one) rendered into lines, with no terminal involved. Screens
 * choose which views go where; term.c paints the lines. Every string from the network or a
 * certificate goes through line_add_safe. */
#ifndef TLSSCOPE_UI_VIEWS_H
#define TLSSCOPE_UI_VIEWS_H

#include "lines.h"
#include "tlsscope/report.h"

/* What the header says besides the report: the run's state. */
struct view_run {
	const char *mode;  /* "connect", "listen", "demo", "inspect" */
	const char *title; /* what is looked at, trusted text; NULL: the report's target */
	bool running;	   /* a spinner and the elapsed time instead of the verdict */
	double elapsed_ms; /* since the run started */
	unsigned tick;	   /* spinner frame */
	const char *setup; /* the second header line (trust, identity, SNI), trusted text */
};

/* Two lines: mode, target, state and verdict; then the setup. */
void view_header(struct ui_lines *L, const struct tls_report *r, const struct view_run *run,
		 const struct ui_glyphs *g);

/* One line per handshake message, alert and probe, tagged with the step index: time, direction,
 * name, detail; alerts in red; the failure point marked. Then the handshake's status. */
void view_timeline(struct ui_lines *L, const struct tls_report *r, const struct ui_glyphs *g);

/* The negotiated parameters, the client certificate exchange and the HTTP answer. */
void view_summary(struct ui_lines *L, const struct tls_report *r);

/* One line per certificate, tagged with its index: index, subject CN, issuer CN, expiry, and a
 * mark per check (trust, name, dates, signature, key, purpose). */
void view_chain(struct ui_lines *L, const struct tls_report *r, const struct ui_glyphs *g);

/* One line per finding, tagged with its index: mark, severity, id, title. */
void view_findings(struct ui_lines *L, const struct tls_report *r, const struct ui_glyphs *g);

/* The key that acts on a finding in the TUI ("i loads a client certificate ..."), or NULL. */
const char *view_finding_key_hint(const char *id);

/* The finding's detail and fix, wrapped to width; with keys, the key that acts on it. */
void view_finding_detail(struct ui_lines *L, const struct tls_finding *f, int width, bool keys);

/* Every field of one certificate: names, SAN, serial in hex and decimal, validity, key,
 * signature, extensions, fingerprint, and the checks that failed on it. */
void view_cert_detail(struct ui_lines *L, const struct tls_cert_info *c, int width,
		      const struct ui_glyphs *g);

/* The content of handshake step i, from what the report holds: CertificateRequest's acceptable
 * CA names and whether the loaded identity's issuer is among them, ServerHello's parameters,
 * Certificate's chain, an alert's level, code, name and the finding that explains it. */
void view_step_detail(struct ui_lines *L, const struct tls_report *r, size_t i, int width,
		      const struct ui_glyphs *g);

/* Listen mode: one row for one connection, tagged tag, fitted to width: time, peer, version,
 * client certificate CN and serial (short ones in hex and decimal, long ones elided), and the
 * verdict with the first error finding's id whole; when is the wall-clock time it was
 * reported. */
void view_listen_row(struct ui_lines *L, const struct tls_report *r, long long when, int tag,
		     int width, const struct ui_glyphs *g);

/* Listen mode: the selected connection below the list: peer, handshake state, the serial
 * whole, the client chain, the findings and the first one's detail. */
void view_listen_selected(struct ui_lines *L, const struct tls_report *r, int width,
			  const struct ui_glyphs *g);

/* "Who would reject this": one row per client profile (connect) or server profile (listen:
 * the client's chain), accept or reject, then each reason's finding and the words that
 * implementation prints, wrapped to width. */
void view_verdicts(struct ui_lines *L, const struct tls_report *r, int width,
		   const struct ui_glyphs *g);

/* The revocation state of certificate i per source (CRL, stapled OCSP, queried OCSP), and for
 * the leaf the stapled response's times (produced, this and next update, revoked at). */
void view_cert_revocation(struct ui_lines *L, const struct tls_report *r, size_t i, int width,
			  const struct ui_glyphs *g);

/* The CN of a distinguished name ("CN=a,O=b" gives "a"), or the whole name. Caller frees. */
char *view_common_name(const char *dn);

/* Shared by views.c and views_step.c: the style of a severity, and one "label  value" row
 * wrapped to width (value escaped when untrusted). */
enum ui_style view_severity_style(enum tls_severity s);
void view_detail_row(struct ui_lines *L, const char *label, const char *value, bool untrusted,
		     enum ui_style st, int width);

#endif
