#include "tlsscope/names.h"

#include <gnutls/gnutls.h>
#include <stddef.h>

/* TLS alert descriptions: RFC 8446 §6, RFC 5246 §7.2, RFC 7301 §3.2, RFC 8446 §6.2 (116). */
static const struct {
	int code;
	const char *name;
	unsigned flags; /* enum names_alert_flag */
} alerts[] = {
	{TLS_ALERT_CLOSE_NOTIFY, "close_notify", 0},
	{TLS_ALERT_UNEXPECTED_MESSAGE, "unexpected_message", 0},
	{TLS_ALERT_BAD_RECORD_MAC, "bad_record_mac", 0},
	{TLS_ALERT_DECRYPTION_FAILED, "decryption_failed", 0},
	{TLS_ALERT_RECORD_OVERFLOW, "record_overflow", 0},
	{TLS_ALERT_DECOMPRESSION_FAILURE, "decompression_failure", 0},
	{TLS_ALERT_HANDSHAKE_FAILURE, "handshake_failure", 0},
	{TLS_ALERT_NO_CERTIFICATE, "no_certificate", 0},
	{TLS_ALERT_BAD_CERTIFICATE, "bad_certificate", ALERT_REFUSES_CERT | ALERT_DISTRUSTS},
	{TLS_ALERT_UNSUPPORTED_CERTIFICATE, "unsupported_certificate", ALERT_REFUSES_CERT},
	{TLS_ALERT_CERTIFICATE_REVOKED, "certificate_revoked", ALERT_REFUSES_CERT},
	{TLS_ALERT_CERTIFICATE_EXPIRED, "certificate_expired",
	 ALERT_REFUSES_CERT | ALERT_DISTRUSTS},
	{TLS_ALERT_CERTIFICATE_UNKNOWN, "certificate_unknown",
	 ALERT_REFUSES_CERT | ALERT_DISTRUSTS},
	{TLS_ALERT_ILLEGAL_PARAMETER, "illegal_parameter", 0},
	{TLS_ALERT_UNKNOWN_CA, "unknown_ca", ALERT_REFUSES_CERT | ALERT_DISTRUSTS},
	{TLS_ALERT_ACCESS_DENIED, "access_denied", ALERT_REFUSES_CERT},
	{TLS_ALERT_DECODE_ERROR, "decode_error", 0},
	{TLS_ALERT_DECRYPT_ERROR, "decrypt_error", ALERT_REFUSES_CERT},
	{TLS_ALERT_EXPORT_RESTRICTION, "export_restriction", 0},
	{TLS_ALERT_PROTOCOL_VERSION, "protocol_version", 0},
	{TLS_ALERT_INSUFFICIENT_SECURITY, "insufficient_security", 0},
	{TLS_ALERT_INTERNAL_ERROR, "internal_error", 0},
	{TLS_ALERT_INAPPROPRIATE_FALLBACK, "inappropriate_fallback", 0},
	{TLS_ALERT_USER_CANCELED, "user_canceled", 0},
	{TLS_ALERT_NO_RENEGOTIATION, "no_renegotiation", 0},
	{TLS_ALERT_MISSING_EXTENSION, "missing_extension", 0},
	{TLS_ALERT_UNSUPPORTED_EXTENSION, "unsupported_extension", 0},
	{TLS_ALERT_CERTIFICATE_UNOBTAINABLE, "certificate_unobtainable", 0},
	{TLS_ALERT_UNRECOGNIZED_NAME, "unrecognized_name", 0},
	{TLS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE, "bad_certificate_status_response", 0},
	{TLS_ALERT_BAD_CERTIFICATE_HASH_VALUE, "bad_certificate_hash_value", 0},
	{TLS_ALERT_UNKNOWN_PSK_IDENTITY, "unknown_psk_identity", 0},
	{TLS_ALERT_CERTIFICATE_REQUIRED, "certificate_required", ALERT_REFUSES_CERT},
	{TLS_ALERT_NO_APPLICATION_PROTOCOL, "no_application_protocol", 0},
};

const char *names_alert(int code)
{
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].code == code)
			return alerts[i].name;
	return NULL;
}

bool names_alert_is(int code, enum names_alert_flag flag)
{
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].code == code)
			return (alerts[i].flags & flag) != 0;
	return false;
}

const char *names_alert_level(int level)
{
	return level == GNUTLS_AL_WARNING ? "warning"
	       : level == GNUTLS_AL_FATAL ? "fatal"
					  : "invalid";
}

static const char *const step_names[] = {
	[STEP_CLIENT_HELLO] = "ClientHello",
	[STEP_SERVER_HELLO] = "ServerHello",
	[STEP_HELLO_RETRY_REQUEST] = "HelloRetryRequest",
	[STEP_ENCRYPTED_EXTENSIONS] = "EncryptedExtensions",
	[STEP_CERTIFICATE] = "Certificate",
	[STEP_CERTIFICATE_REQUEST] = "CertificateRequest",
	[STEP_CERTIFICATE_VERIFY] = "CertificateVerify",
	[STEP_CERTIFICATE_STATUS] = "CertificateStatus",
	[STEP_SERVER_KEY_EXCHANGE] = "ServerKeyExchange",
	[STEP_SERVER_HELLO_DONE] = "ServerHelloDone",
	[STEP_CLIENT_KEY_EXCHANGE] = "ClientKeyExchange",
	[STEP_FINISHED] = "Finished",
	[STEP_NEW_SESSION_TICKET] = "NewSessionTicket",
	[STEP_KEY_UPDATE] = "KeyUpdate",
	[STEP_END_OF_EARLY_DATA] = "EndOfEarlyData",
	[STEP_ALERT] = "Alert",
	[STEP_PROBE] = "Probe",
	[STEP_OTHER] = "Other",
	[STEP_STARTTLS] = "StartTLS",
	[STEP_PROXY] = "Proxy",
};

const char *names_step(enum tls_step_type t)
{
	if ((size_t)t < sizeof(step_names) / sizeof(step_names[0]) && step_names[t])
		return step_names[t];
	return "Other";
}

static const struct {
	unsigned gnutls;
	enum tls_step_type step;
} step_map[] = {
	{GNUTLS_HANDSHAKE_CLIENT_HELLO, STEP_CLIENT_HELLO},
	{GNUTLS_HANDSHAKE_CLIENT_HELLO_V2, STEP_CLIENT_HELLO},
	{GNUTLS_HANDSHAKE_SERVER_HELLO, STEP_SERVER_HELLO},
	{GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST, STEP_HELLO_RETRY_REQUEST},
	{GNUTLS_HANDSHAKE_ENCRYPTED_EXTENSIONS, STEP_ENCRYPTED_EXTENSIONS},
	{GNUTLS_HANDSHAKE_CERTIFICATE_PKT, STEP_CERTIFICATE},
	{GNUTLS_HANDSHAKE_CERTIFICATE_REQUEST, STEP_CERTIFICATE_REQUEST},
	{GNUTLS_HANDSHAKE_CERTIFICATE_VERIFY, STEP_CERTIFICATE_VERIFY},
	{GNUTLS_HANDSHAKE_CERTIFICATE_STATUS, STEP_CERTIFICATE_STATUS},
	{GNUTLS_HANDSHAKE_SERVER_KEY_EXCHANGE, STEP_SERVER_KEY_EXCHANGE},
	{GNUTLS_HANDSHAKE_SERVER_HELLO_DONE, STEP_SERVER_HELLO_DONE},
	{GNUTLS_HANDSHAKE_CLIENT_KEY_EXCHANGE, STEP_CLIENT_KEY_EXCHANGE},
	{GNUTLS_HANDSHAKE_FINISHED, STEP_FINISHED},
	{GNUTLS_HANDSHAKE_NEW_SESSION_TICKET, STEP_NEW_SESSION_TICKET},
	{GNUTLS_HANDSHAKE_KEY_UPDATE, STEP_KEY_UPDATE},
	{GNUTLS_HANDSHAKE_END_OF_EARLY_DATA, STEP_END_OF_EARLY_DATA},
};

enum tls_step_type names_step_from_gnutls(unsigned htype)
{
	for (size_t i = 0; i < sizeof(step_map) / sizeof(step_map[0]); i++)
		if (step_map[i].gnutls == htype)
			return step_map[i].step;
	return STEP_OTHER;
}

const char *names_severity(enum tls_severity s)
{
	static const char *const n[] = {
		[SEV_ERROR] = "error", [SEV_WARNING] = "warning", [SEV_INFO] = "info"};
	return n[s];
}

const char *names_subject(enum tls_subject s)
{
	static const char *const n[] = {[SUBJ_CONNECTION] = "connection",
					[SUBJ_SERVER_CHAIN] = "server-chain",
					[SUBJ_CLIENT_CHAIN] = "client-chain"};
	return n[s];
}

const char *names_hs_status(enum tls_hs_status s)
{
	static const char *const n[] = {[HS_NOT_STARTED] = "not-started",
					[HS_COMPLETE] = "complete",
					[HS_FAILED] = "failed",
					[HS_TIMEOUT] = "timeout"};
	return n[s];
}
