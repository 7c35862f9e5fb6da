/* Names of protocol values, as tables (RFC 8446 §4, §6; RFC 5246 §7.2). */
#ifndef TLSSCOPE_NAMES_H
#define TLSSCOPE_NAMES_H

#include "tlsscope/report.h"

/* "certificate_required" for 116; NULL for an unknown code. */
const char *names_alert(int code);
/* "warning" (1) or "fatal" (2); "invalid" for any other level a hostile peer may send
 * (RFC 5246 §7.2 defines only those two). */
const char *names_alert_level(int level);
/* "ClientHello", ...; the step type names of the JSON report. */
const char *names_step(enum tls_step_type t);
/* Maps a GnuTLS handshake type (gnutls_handshake_description_t) to a step type. */
enum tls_step_type names_step_from_gnutls(unsigned htype);
const char *names_severity(enum tls_severity s);
const char *names_subject(enum tls_subject s);
const char *names_hs_status(enum tls_hs_status s);

#endif
