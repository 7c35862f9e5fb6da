/* The binary STARTTLS protocols (starttls_binary.h): LDAP's StartTLS extended operation (RFC
 * 4511 §4.14), PostgreSQL's SSLRequest and MySQL's SSL request, and their first request and
 * answer once TLS is up. */
#include "starttls_binary.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/textsafe.h"
#include "tlsscope/util.h"
#include "trace.h"

/* RFC 4511 §4.14.1: ExtendedRequest { requestName "1.3.6.1.4.1.1466.20037" }, message id 1. */
static const unsigned char ldap_starttls[] = {
	0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, '1', '.', '3', '.', '6', '.', '1',
	'.',  '4',  '.',  '1',	'.',  '1',  '4',  '6',	'6',  '.', '2', '0', '0', '3', '7'};

/* After TLS: "Who am I?" (RFC 4532), message id 2, an operation every LDAPv3 server answers
 * (unsupported: protocolError) without a bind. */
static const unsigned char ldap_whoami[] = {
	0x30, 0x1e, 0x02, 0x01, 0x02, 0x77, 0x19, 0x80, 0x17, '1', '.', '3', '.', '6', '.', '1',
	'.',  '4',  '.',  '1',	'.',  '4',  '2',  '0',	'3',  '.', '1', '.', '1', '1', '.', '3'};

/* PostgreSQL's SSLRequest: length 8, code 80877103 (1234 << 16 | 5679). */
static const unsigned char pg_sslrequest[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};

/* A BER length at b (n bytes): the length in *len, the bytes it took, or 0 when incomplete
 * (-1 when not usable). */
static int ber_len(const unsigned char *b, size_t n, size_t *len)
{
	if (n < 1)
		return 0;
	if (b[0] < 0x80) {
		*len = b[0];
		return 1;
	}
	unsigned k = b[0] & 0x7f;
	if (k == 0 || k > 3)
		return -1;
	if (n < 1 + k)
		return 0;
	*len = 0;
	for (unsigned i = 0; i < k; i++)
		*len = *len << 8 | b[1 + i];
	return (int)(1 + k);
}

/* One element with tag at *off: its content's offset and length. */
static bool ber_elem(const unsigned char *b, size_t n, size_t *off, unsigned char tag,
		     size_t *c_off, size_t *c_len)
{
	if (*off >= n || b[*off] != tag)
		return false;
	int k = ber_len(b + *off + 1, n - *off - 1, c_len);
	if (k <= 0 || *off + 1 + (size_t)k + *c_len > n)
		return false;
	*c_off = *off + 1 + (size_t)k;
	*off = *c_off + *c_len;
	return true;
}

static bool ldap_complete(const unsigned char *b, size_t n)
{
	size_t len;
	if (n < 2)
		return false;
	if (b[0] != 0x30)
		return true; /* not LDAP: judged as such */
	int k = ber_len(b + 1, n - 1, &len);
	return k < 0 || (k > 0 && n >= 1 + (size_t)k + len);
}

/* An ExtendedResponse (RFC 4511 §4.12): "resultCode N (name)[: message]" and the code in *code,
 * or NULL with why in *why when it is not one. */
static char *ldap_result(const unsigned char *b, size_t n, unsigned *code, const char **why)
{
	static const char *const codes[] = {
		[1] = "operationsError",      [2] = "protocolError", [7] = "authMethodNotSupported",
		[8] = "strongerAuthRequired", [52] = "unavailable",  [53] = "unwillingToPerform"};
	size_t off = 0, c_off, c_len, id_off, id_len, r_off, r_len;

	*why = "the answer is not an LDAP message";
	if (!ber_elem(b, n, &off, 0x30, &c_off, &c_len))
		return NULL;
	off = c_off;
	*why = "the answer is not an LDAP ExtendedResponse";
	if (!ber_elem(b, n, &off, 0x02, &id_off, &id_len) ||
	    !ber_elem(b, n, &off, 0x78, &r_off, &r_len))
		return NULL;
	off = r_off;
	size_t rc_off, rc_len, dn_off, dn_len, m_off = 0, m_len = 0;
	*why = "the LDAP answer has no resultCode";
	if (!ber_elem(b, n, &off, 0x0a, &rc_off, &rc_len) || rc_len != 1)
		return NULL;
	*code = b[rc_off];
	if (ber_elem(b, n, &off, 0x04, &dn_off, &dn_len))
		ber_elem(b, n, &off, 0x04, &m_off, &m_len);
	const char *name =
		*code < sizeof(codes) / sizeof(codes[0]) && codes[*code] ? codes[*code] : "error";
	char *msg = textsafe_bytes(b + m_off, m_len);
	char *ans = xasprintf("resultCode %u (%s)%s%s", *code, *code ? name : "success",
			      m_len ? ": " : "", msg);
	free(msg);
	return ans;
}

/* The StartTLS ExtendedResponse: resultCode 0 agrees. */
static int ldap_judge(struct starttls *st, const unsigned char *b, size_t n)
{
	unsigned code = 0;
	const char *why;
	char *ans = ldap_result(b, n, &code, &why);

	if (!ans)
		return stls_fail(st, STARTTLS_FAILED, "%s", why);
	free(st->rep->starttls.answer);
	st->rep->starttls.answer = ans;
	if (code == 0)
		return 0;
	/* protocolError is what a server without the StartTLS operation answers (RFC 4511
	 * §4.12: an unrecognised requestName). */
	return stls_fail(st, code == 2 ? STARTTLS_NOT_OFFERED : STARTTLS_REFUSED,
			 "the server answered the StartTLS request with %s", ans);
}

/* MySQL's initial handshake (protocol 10): CLIENT_SSL (0x800) in the lower capability flags
 * offers TLS; an error packet (0xff) refuses us before anything. */
#define MYSQL_CLIENT_SSL 0x0800u
static bool mysql_complete(const unsigned char *b, size_t n)
{
	return n >= 4 && n >= 4 + (size_t)(b[0] | b[1] << 8 | b[2] << 16);
}

static int mysql_judge(struct starttls *st, const unsigned char *b, size_t n)
{
	size_t len = (size_t)(b[0] | b[1] << 8 | b[2] << 16);
	const unsigned char *p = b + 4;

	if (len < 1)
		return stls_fail(st, STARTTLS_FAILED, "an empty handshake packet");
	if (p[0] == 0xff) {
		char *msg = textsafe_bytes(p + 3, len > 3 ? len - 3 : 0);
		unsigned code = len >= 3 ? (unsigned)(p[1] | p[2] << 8) : 0;
		free(st->rep->starttls.answer);
		st->rep->starttls.answer = xasprintf("error %u: %s", code, msg);
		free(msg);
		return stls_fail(st, STARTTLS_REFUSED, "the server refused the connection: %s",
				 st->rep->starttls.answer);
	}
	const unsigned char *ver = p + 1, *nul = memchr(ver, 0, len - 1);
	if (p[0] != 10 || !nul || (size_t)(nul - p) + 1 + 4 + 8 + 1 + 2 > len)
		return stls_fail(st, STARTTLS_FAILED, "not a MySQL protocol 10 handshake packet");
	const unsigned char *caps = nul + 1 + 4 + 8 + 1;
	unsigned flags = (unsigned)(caps[0] | caps[1] << 8);
	char *v = textsafe_bytes(ver, (size_t)(nul - ver));
	free(st->rep->starttls.answer);
	st->rep->starttls.answer = xasprintf("server %s, capabilities 0x%04x", v, flags);
	free(v);
	(void)n;
	if (!(flags & MYSQL_CLIENT_SSL))
		return stls_fail(st, STARTTLS_NOT_OFFERED,
				 "the server (%s) does not offer TLS: CLIENT_SSL is not among its "
				 "capabilities",
				 st->rep->starttls.answer);
	return 0;
}

/* The SSL request (a HandshakeResponse cut after the character set, sequence 1): TLS
 * follows at once. Flags: LONG_PASSWORD, PROTOCOL_41, SSL, SECURE_CONNECTION, PLUGIN_AUTH. */
#define MYSQL_CAPS (0x1u | 0x200u | 0x800u | 0x8000u | 0x80000u)
void stls_mysql_ssl_request(unsigned char out[36], unsigned char seq)
{
	memset(out, 0, 36);
	out[0] = 32;
	out[3] = seq;
	uint32_t caps = MYSQL_CAPS, max = 1u << 24;
	for (int i = 0; i < 4; i++) {
		out[4 + i] = (unsigned char)(caps >> (8 * i));
		out[8 + i] = (unsigned char)(max >> (8 * i));
	}
	out[12] = 33; /* utf8_general_ci */
}

/* PostgreSQL answers the SSLRequest with one byte: 'S' agrees, 'N' says SSL is off. */
static int pg_judge(struct starttls *st, struct tls_trace *t)
{
	stls_step(t, TLS_DIR_RECEIVED, st->in, 1);
	stls_set_answer(st, st->in, 1);
	if (st->in[0] == 'S')
		return 0;
	if (st->in[0] == 'N')
		return stls_fail(st, STARTTLS_NOT_OFFERED,
				 "the server answered the SSLRequest with 'N': SSL is off "
				 "(postgresql.conf: ssl = on)");
	return stls_fail(st, STARTTLS_REFUSED, "the server answered the SSLRequest with \"%s\"",
			 st->rep->starttls.answer);
}

const unsigned char *stls_binary_request(const struct starttls_proto *p, size_t *len,
					 const char **shown)
{
	if (p->style == ST_PG) {
		*len = sizeof(pg_sslrequest);
		*shown = "SSLRequest";
		return pg_sslrequest;
	}
	if (p->style == ST_LDAP) {
		*len = sizeof(ldap_starttls);
		*shown = "ExtendedRequest StartTLS (1.3.6.1.4.1.1466.20037)";
		return ldap_starttls;
	}
	return NULL;
}

bool stls_binary_complete(const struct starttls_proto *p, const unsigned char *b, size_t n)
{
	if (p->style == ST_PG)
		return n >= 1;
	if (p->style == ST_LDAP)
		return ldap_complete(b, n);
	return mysql_complete(b, n);
}

int stls_binary_judge(struct starttls *st, struct tls_trace *t)
{
	const unsigned char *b = (const unsigned char *)st->in;
	size_t n = st->in_len;

	if (st->p->style == ST_PG)
		return pg_judge(st, t);
	if (st->p->style == ST_LDAP) {
		trace_step(t, TLS_DIR_RECEIVED, STEP_STARTTLS, "ExtendedResponse");
		return ldap_judge(st, b, n);
	}
	int rc = mysql_judge(st, b, n);
	trace_step(t, TLS_DIR_RECEIVED, STEP_STARTTLS, st->rep->starttls.answer);
	return rc;
}

/* ---- after the handshake ---- */

static void put32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

/* MySQL's HandshakeResponse41 after TLS (sequence 2, the SSL request was 1): the same flags,
 * user, an empty mysql_native_password answer (what an empty password gives) and the plugin's
 * name (MariaDB docs, "Connection": "Handshake response packet"). REQUIRE X509 and
 * require_secure_transport are checked on it. */
static char *mysql_login(const char *user, size_t *len)
{
	static const char plugin[] = "mysql_native_password";
	size_t ul = strlen(user) + 1, n = 4 + 32 + ul + 1 + sizeof(plugin);
	unsigned char *b = xcalloc(1, n);

	stls_mysql_ssl_request(b, 2);
	b[0] = (unsigned char)(n - 4);
	b[1] = (unsigned char)((n - 4) >> 8);
	memcpy(b + 36, user, ul);
	b[36 + ul] = 0; /* auth response length */
	memcpy(b + 36 + ul + 1, plugin, sizeof(plugin));
	*len = n;
	return (char *)b;
}

/* StartupMessage, protocol 3.0: user and database (PostgreSQL docs, "Message Formats"); the
 * certificate checks of pg_hba.conf run on it. */
static char *pg_startup(const char *user, size_t *len)
{
	const char *u = user && *user ? user : "postgres";
	size_t ul = strlen(u) + 1, n = 8 + 5 + ul + 9 + 9 + 1;
	unsigned char *b = xcalloc(1, n);
	put32(b, (uint32_t)n);
	put32(b + 4, 196608);
	size_t off = 8;
	memcpy(b + off, "user", 5), off += 5;
	memcpy(b + off, u, ul), off += ul;
	memcpy(b + off, "database", 9), off += 9;
	memcpy(b + off, "postgres", 9), off += 9;
	b[off] = 0;
	*len = n;
	return (char *)b;
}

void stls_binary_app_request(const struct starttls *st, const char *user, char **req, size_t *len)
{
	if (st->p->style == ST_MYSQL) {
		/* The certificate's CN, else root (the mysql client's habit as root). */
		*req = mysql_login(user && *user ? user : "root", len);
	} else if (st->p->style == ST_PG) {
		*req = pg_startup(user, len);
	} else {
		*req = xmemdup0(ldap_whoami, sizeof(ldap_whoami));
		*len = sizeof(ldap_whoami);
	}
}

bool stls_binary_app_complete(const struct starttls *st, const char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)buf;

	if (st->p->style == ST_PG)
		return len >= 5 && len >= 1 + (size_t)((uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
						       (uint32_t)b[3] << 8 | b[4]);
	if (st->p->style == ST_MYSQL)
		return mysql_complete(b, len);
	return ldap_complete(b, len);
}

/* The answer to the login: OK (0x00), ERR (0xff: code, '#', SQLSTATE, message) or a request
 * for more authentication (0xfe switches plugin, 0x01 more data). ERR 1045 (and 1698, the same
 * for a user without a password) is MySQL's and MariaDB's "Access denied" whatever the reason,
 * a missing or unaccepted certificate for a REQUIRE X509 (or SUBJECT, ISSUER) user included:
 * the server never says which, so after a certificate request it is read as a refusal of it. */
#define MYSQL_ACCESS_DENIED		1045u
#define MYSQL_ACCESS_DENIED_NO_PASSWORD 1698u
static void mysql_answer(const unsigned char *b, size_t n, struct tls_application *a)
{
	size_t len = n >= 4 ? (size_t)(b[0] | b[1] << 8 | b[2] << 16) : 0;
	const unsigned char *p = b + 4;

	if (n < 5 || len < 1 || n < 4 + len) {
		a->answer = stls_escaped((const char *)b, n);
		return;
	}
	if (p[0] == 0xff && len >= 3) {
		unsigned code = (unsigned)(p[1] | p[2] << 8);
		size_t off = len > 9 && p[3] == '#' ? 9 : 3;
		char *state = off == 9 ? textsafe_bytes(p + 4, 5) : xstrdup("?");
		char *msg = textsafe_bytes(p + off, len - off);
		a->answer = xasprintf("ERROR %u (%s): %s", code, state, msg);
		free(state);
		free(msg);
		a->refused = true;
		a->names_certificate =
			code == MYSQL_ACCESS_DENIED || code == MYSQL_ACCESS_DENIED_NO_PASSWORD;
		return;
	}
	a->answer = xstrdup(p[0] == 0x00   ? "OK (logged in)"
			    : p[0] == 0xfe ? "AuthSwitchRequest (another authentication method)"
			    : p[0] == 0x01 ? "AuthMoreData (the authentication goes on)"
					   : "an unknown packet");
}

/* A PostgreSQL ErrorResponse: fields of a type byte and a C string; S severity, C SQLSTATE,
 * M message. */
static char *pg_error(const unsigned char *b, size_t n)
{
	const char *sev = "ERROR", *code = "", *msg = "";
	size_t off = 5;

	while (off < n && b[off]) {
		char type = (char)b[off++];
		const char *v = (const char *)b + off;
		const unsigned char *nul = memchr(b + off, 0, n - off);
		if (!nul)
			break;
		if (type == 'S')
			sev = v;
		else if (type == 'C')
			code = v;
		else if (type == 'M')
			msg = v;
		off = (size_t)(nul - b) + 1;
	}
	char *raw = xasprintf("%s: %s (SQLSTATE %s)", sev, msg, code);
	char *e = textsafe_escape(raw, strlen(raw));
	free(raw);
	return e;
}

static void pg_answer(const unsigned char *b, size_t len, struct tls_application *a)
{
	if (b[0] == 'E') {
		a->answer = pg_error(b, len);
		a->refused = true;
	} else if (b[0] == 'R' && len >= 9) {
		uint32_t k =
			(uint32_t)b[5] << 24 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 8 | b[8];
		a->answer = xasprintf("AuthenticationRequest %u (%s)", k,
				      k == 0	? "authenticated"
				      : k == 3	? "password"
				      : k == 5	? "MD5 password"
				      : k == 10 ? "SASL"
						: "another method");
	} else {
		a->answer = stls_escaped((const char *)b, len);
	}
}

void stls_binary_app_judge(const struct starttls *st, const char *buf, size_t len,
			   struct tls_application *a)
{
	const unsigned char *b = (const unsigned char *)buf;

	if (st->p->style == ST_MYSQL) {
		mysql_answer(b, len, a);
		return;
	}
	if (st->p->style == ST_LDAP) {
		unsigned code = 0;
		const char *why;
		a->answer = ldap_result(b, len, &code, &why);
		if (!a->answer)
			a->answer = stls_escaped(buf, len);
		/* protocolError: the server lacks the operation, not a refusal. */
		a->refused = code != 0 && code != 2;
	} else {
		pg_answer(b, len, a);
	}
	a->names_certificate = a->refused && a->answer &&
			       stls_contains_ci(a->answer, strlen(a->answer), "certificate");
}
