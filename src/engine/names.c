#include "tlsscope/names.h"

#include <gnutls/gnutls.h>
#include <stddef.h>

/* TLS alert descriptions: RFC 8446 §6, RFC 5246 §7.2, RFC 7301 §3.2, RFC 8446 §6.2 (116). */
static const struct {
	int code;
	const char *name;
} alerts[] = {
	{0, "close_notify"},
	{10, "unexpected_message"},
	{20, "bad_record_mac"},
	{21, "decryption_failed"},
	{22, "record_overflow"},
	{30, "decompression_failure"},
	{40, "handshake_failure"},
	{41, "no_certificate"},
	{42, "bad_certificate"},
	{43, "unsupported_certificate"},
	{44, "certificate_revoked"},
	{45, "certificate_expired"},
	{46, "certificate_unknown"},
	{47, "illegal_parameter"},
	{48, "unknown_ca"},
	{49, "access_denied"},
	{50, "decode_error"},
	{51, "decrypt_error"},
	{60, "export_restriction"},
	{70, "protocol_version"},
	{71, "insufficient_security"},
	{80, "internal_error"},
	{86, "inappropriate_fallback"},
	{90, "user_canceled"},
	{100, "no_renegotiation"},
	{109, "missing_extension"},
	{110, "unsupported_extension"},
	{111, "certificate_unobtainable"},
	{112, "unrecognized_name"},
	{113, "bad_certificate_status_response"},
	{114, "bad_certificate_hash_value"},
	{115, "unknown_psk_identity"},
	{116, "certificate_required"},
	{120, "no_application_protocol"},
};

const char *names_alert(int code)
{
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].code == code)
			return alerts[i].name;
	return NULL;
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
