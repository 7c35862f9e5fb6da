/* Names of protocol values, as tables (RFC 8446 §4, §6; RFC 5246 §7.2). */
#ifndef TLSSCOPE_NAMES_H
#define TLSSCOPE_NAMES_H

#include "tlsscope/report.h"

/* The alert descriptions names.c knows (RFC 8446 §6, RFC 5246 §7.2, RFC 7301 §3.2). */
enum tls_alert_code {
	TLS_ALERT_CLOSE_NOTIFY = 0,
	TLS_ALERT_UNEXPECTED_MESSAGE = 10,
	TLS_ALERT_BAD_RECORD_MAC = 20,
	TLS_ALERT_DECRYPTION_FAILED = 21,
	TLS_ALERT_RECORD_OVERFLOW = 22,
	TLS_ALERT_DECOMPRESSION_FAILURE = 30,
	TLS_ALERT_HANDSHAKE_FAILURE = 40,
	TLS_ALERT_NO_CERTIFICATE = 41,
	TLS_ALERT_BAD_CERTIFICATE = 42,
	TLS_ALERT_UNSUPPORTED_CERTIFICATE = 43,
	TLS_ALERT_CERTIFICATE_REVOKED = 44,
	TLS_ALERT_CERTIFICATE_EXPIRED = 45,
	TLS_ALERT_CERTIFICATE_UNKNOWN = 46,
	TLS_ALERT_ILLEGAL_PARAMETER = 47,
	TLS_ALERT_UNKNOWN_CA = 48,
	TLS_ALERT_ACCESS_DENIED = 49,
	TLS_ALERT_DECODE_ERROR = 50,
	TLS_ALERT_DECRYPT_ERROR = 51,
	TLS_ALERT_EXPORT_RESTRICTION = 60,
	TLS_ALERT_PROTOCOL_VERSION = 70,
	TLS_ALERT_INSUFFICIENT_SECURITY = 71,
	TLS_ALERT_INTERNAL_ERROR = 80,
	TLS_ALERT_INAPPROPRIATE_FALLBACK = 86,
	TLS_ALERT_USER_CANCELED = 90,
	TLS_ALERT_NO_RENEGOTIATION = 100,
	TLS_ALERT_MISSING_EXTENSION = 109,
	TLS_ALERT_UNSUPPORTED_EXTENSION = 110,
	TLS_ALERT_CERTIFICATE_UNOBTAINABLE = 111,
	TLS_ALERT_UNRECOGNIZED_NAME = 112,
	TLS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
	TLS_ALERT_BAD_CERTIFICATE_HASH_VALUE = 114,
	TLS_ALERT_UNKNOWN_PSK_IDENTITY = 115,
	TLS_ALERT_CERTIFICATE_REQUIRED = 116,
	TLS_ALERT_NO_APPLICATION_PROTOCOL = 120,
};

/* What an alert says about a certificate, the alerts table's column. */
enum names_alert_flag {
	/* One a server sends when it does not accept the client certificate it got (RFC 8446
	 * §6.2: bad, unsupported, revoked, expired, unknown, unknown_ca, access_denied,
	 * decrypt_error, certificate_required). */
	ALERT_REFUSES_CERT = 1,
	/* One a client sends when it does not trust the server's certificate (bad, expired,
	 * unknown, unknown_ca). */
	ALERT_DISTRUSTS = 2,
};

/* "certificate_required" for 116; NULL for an unknown code. */
const char *names_alert(int code);
/* Whether the alert code carries flag; false for an unknown code. */
bool names_alert_is(int code, enum names_alert_flag flag);
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
