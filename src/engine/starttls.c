#include "tlsscope/starttls.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "tlsscope/textsafe.h"
#include "tlsscope/util.h"
#include "trace.h"

/* A server that drips, lies or floods is bounded: one line, one answer, the whole exchange. */
#define LINE_MAX_BYTES	 4096
#define ANSWER_MAX_BYTES (64 * 1024)
#define TOTAL_MAX_BYTES	 (256 * 1024)
#define DETAIL_MAX_BYTES 600

/* How an answer ends. */
enum style {
	ST_CODE,   /* SMTP, LMTP, FTP: "NNN-..." continues, "NNN ..." ends */
	ST_DOT,	   /* POP3, NNTP: one line, or a positive multi-line answer ending in "." */
	ST_TAGGED, /* IMAP: the line that starts with the command's tag */
	ST_SIEVE,  /* ManageSieve: a line starting with OK, NO or BYE */
	ST_XML,	   /* XMPP: the features element, then proceed or failure */
	ST_LDAP,   /* one BER LDAPMessage (the StartTLS extended request, RFC 4511 §4.14) */
	ST_PG,	   /* PostgreSQL: SSLRequest, then one byte */
	ST_MYSQL,  /* MySQL/MariaDB: the server's handshake packet, then our SSL request */
};

struct starttls_proto {
	const char *name;
	unsigned ports[2];
	enum style style;
	const char *label;	/* for messages: "SMTP" */
	const char *greeting;	/* prefix of a good greeting; NULL: the client speaks first */
	const char *capa;	/* the capability request (%s: the host); NULL: none */
	const char *capa_ok;	/* prefix of a positive answer to it */
	const char *token;	/* the capability that offers the upgrade */
	const char *upgrade;	/* the upgrade command */
	const char *upgrade_ok; /* prefix of the answer that agrees */
	const char *app;	/* the first request after TLS (%s: the host), or NULL */
};

static const struct starttls_proto protos[] = {
	{"smtp",
	 {25, 587},
	 ST_CODE,
	 "SMTP",
	 "220",
	 "EHLO tlsscope.invalid\r\n",
	 "250",
	 "STARTTLS",
	 "STARTTLS\r\n",
	 "220",
	 "EHLO tlsscope.invalid\r\n"},
	{"lmtp",
	 {24, 0},
	 ST_CODE,
	 "LMTP",
	 "220",
	 "LHLO tlsscope.invalid\r\n",
	 "250",
	 "STARTTLS",
	 "STARTTLS\r\n",
	 "220",
	 "LHLO tlsscope.invalid\r\n"},
	{"imap",
	 {143, 0},
	 ST_TAGGED,
	 "IMAP",
	 "* OK",
	 "a1 CAPABILITY\r\n",
	 "a1 OK",
	 "STARTTLS",
	 "a2 STARTTLS\r\n",
	 "a2 OK",
	 "a3 CAPABILITY\r\n"},
	{"pop3",
	 {110, 0},
	 ST_DOT,
	 "POP3",
	 "+OK",
	 "CAPA\r\n",
	 "+OK",
	 "STLS",
	 "STLS\r\n",
	 "+OK",
	 "CAPA\r\n"},
	{"ftp",
	 {21, 0},
	 ST_CODE,
	 "FTP",
	 "220",
	 "FEAT\r\n",
	 "211",
	 "AUTH TLS",
	 "AUTH TLS\r\n",
	 "234",
	 "FEAT\r\n"},
	{"ldap", {389, 0}, ST_LDAP, "LDAP", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
	{"xmpp",
	 {5222, 0},
	 ST_XML,
	 "XMPP",
	 NULL,
	 "<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
	 "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
	 "<",
	 "<starttls",
	 "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
	 "<proceed",
	 /* RFC 6120 §5.4.3.3: a new stream over TLS, answered with its features. */
	 "<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
	 "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"},
	{"postgres", {5432, 0}, ST_PG, "PostgreSQL", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
	/* The server speaks first (its handshake packet, judged by mysql_judge): "" says so. */
	{"mysql", {3306, 0}, ST_MYSQL, "MySQL", "", NULL, NULL, NULL, NULL, NULL, NULL},
	{"nntp",
	 {119, 0},
	 ST_DOT,
	 "NNTP",
	 "20",
	 "CAPABILITIES\r\n",
	 "101",
	 "STARTTLS",
	 "STARTTLS\r\n",
	 "382",
	 "CAPABILITIES\r\n"},
	{"sieve",
	 {4190, 0},
	 ST_SIEVE,
	 "ManageSieve",
	 "",
	 NULL,
	 "OK",
	 "\"STARTTLS\"",
	 "STARTTLS\r\n",
	 "OK",
	 /* RFC 5804 §2.2: the server says its capabilities again after TLS; asking is allowed. */
	 "CAPABILITY\r\n"},
};

#define N_PROTOS (sizeof(protos) / sizeof(protos[0]))

/* The stages of the exchange; the client-speaks-first protocols skip the greeting. */
enum stage { S_GREETING, S_CAPA, S_UPGRADE, S_DONE };

struct starttls {
	const struct starttls_proto *p;
	struct tls_report *rep;
	char *host;
	enum stage stage;
	char *out; /* what remains to be sent */
	size_t out_len, out_off;
	char in[ANSWER_MAX_BYTES + 1];
	size_t in_len;
	size_t total;
	bool awaiting; /* the command is out; its answer is being read */
	bool started;
	int fd;
};

const struct starttls_proto *starttls_find(const char *name)
{
	for (size_t i = 0; name && i < N_PROTOS; i++)
		if (strcasecmp(protos[i].name, name) == 0)
			return &protos[i];
	return NULL;
}

const struct starttls_proto *starttls_by_port(unsigned port)
{
	for (size_t i = 0; port && i < N_PROTOS; i++)
		if (protos[i].ports[0] == port || protos[i].ports[1] == port)
			return &protos[i];
	return NULL;
}

const char *starttls_name(const struct starttls_proto *p)
{
	return p ? p->name : NULL;
}

const char *starttls_names(void)
{
	return "smtp, lmtp, imap, pop3, ftp, ldap, xmpp, postgres, mysql, nntp, sieve";
}

static bool has_prefix_ci(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && strncasecmp(s, prefix, k) == 0;
}

static bool contains_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k && i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return true;
	return false;
}

/* Greetings as the first 48 bytes of a plain TLS connect show them. PostgreSQL answers a
 * ClientHello with an error message ('E', then "SFATAL"); MySQL greets with its handshake
 * packet (protocol version 10 after the 4-byte header). */
const char *starttls_recognise(const unsigned char *b, size_t n, unsigned port)
{
	const char *s = (const char *)b;

	if (!b)
		return NULL;
	if (n >= 5 && b[3] == 0 && b[4] == 10 && b[0] > 0 && b[1] == 0 && b[2] == 0)
		return "mysql";
	if (n >= 6 && b[0] == 'E' && memmem(b, n, "SFATAL", 6))
		return "postgres";
	if (has_prefix_ci(s, n, "220")) {
		if (contains_ci(s, n, "LMTP") || port == 24)
			return "lmtp";
		if (contains_ci(s, n, "FTP") || port == 21)
			return "ftp";
		return "smtp";
	}
	if (has_prefix_ci(s, n, "* OK") || has_prefix_ci(s, n, "* PREAUTH"))
		return "imap";
	if (has_prefix_ci(s, n, "+OK"))
		return "pop3";
	if ((has_prefix_ci(s, n, "200 ") || has_prefix_ci(s, n, "201 ")) &&
	    (port == 119 || contains_ci(s, n, "NNTP") || contains_ci(s, n, "news")))
		return "nntp";
	if (has_prefix_ci(s, n, "\"IMPLEMENTATION\"") || has_prefix_ci(s, n, "\"SASL\""))
		return "sieve";
	if (has_prefix_ci(s, n, "<?xml") || has_prefix_ci(s, n, "<stream:"))
		return "xmpp";
	return NULL;
}

struct starttls *starttls_new(const struct starttls_proto *p, const char *host,
			      struct tls_report *rep)
{
	struct starttls *st = xcalloc(1, sizeof(*st));

	st->p = p;
	st->rep = rep;
	st->host = xstrdup(host && *host ? host : "localhost");
	st->stage = p->greeting ? S_GREETING : S_CAPA;
	rep->starttls.protocol = p->name;
	return st;
}

void starttls_free(struct starttls *st)
{
	if (!st)
		return;
	free(st->out);
	free(st->host);
	free(st);
}

/* ---- steps and outcomes ---- */

static char *escaped(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	bool cut = n > DETAIL_MAX_BYTES;
	char *e = textsafe_bytes((const unsigned char *)s, cut ? DETAIL_MAX_BYTES : n);
	if (!cut)
		return e;
	char *r = xasprintf("%s... (%zu bytes)", e, n);
	free(e);
	return r;
}

static void step(struct tls_trace *t, enum tls_dir dir, const char *s, size_t n)
{
	char *d = escaped(s, n);
	trace_step(t, dir, STEP_STARTTLS, d);
	free(d);
}

static void set_answer(struct starttls *st, const char *s, size_t n)
{
	free(st->rep->starttls.answer);
	st->rep->starttls.answer = escaped(s, n);
}

static int fail(struct starttls *st, enum tls_starttls_outcome why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct starttls *st, enum tls_starttls_outcome why, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->rep->starttls.outcome = why;
	st->stage = S_DONE;
	trace_set_error(st->rep, "%s STARTTLS: %s", st->p->label, msg);
	return -1;
}

void starttls_timeout(struct starttls *st, double timeout_s)
{
	if (st->stage == S_DONE)
		return;
	if (st->in_len)
		set_answer(st, st->in, st->in_len);
	fail(st, STARTTLS_FAILED, "no complete answer %s within %.1f s",
	     st->stage == S_GREETING ? "(greeting)"
	     : st->stage == S_CAPA   ? "to the capability request"
				     : "to the upgrade command",
	     timeout_s);
}

/* ---- answers ---- */

/* The line starting at s (within n bytes): its length without CR LF in *len; returns the
 * length with them, or 0 when the line is not complete. */
static size_t next_line(const char *s, size_t n, size_t *len)
{
	const char *nl = memchr(s, '\n', n);
	if (!nl)
		return 0;
	size_t k = (size_t)(nl - s);
	*len = k && s[k - 1] == '\r' ? k - 1 : k;
	return k + 1;
}

static bool is_digit3(const char *s, size_t n)
{
	return n >= 3 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
	       s[2] <= '9';
}

/* The tag of a command ("a1 " of "a1 CAPABILITY"). */
static size_t tag_len(const char *cmd)
{
	const char *sp = cmd ? strchr(cmd, ' ') : NULL;
	return sp ? (size_t)(sp - cmd) + 1 : 0;
}

/* Whether buf holds a whole answer, for this protocol and the command it answers (cmd, NULL
 * for the greeting); multi: a positive answer to it may take several lines (cap_ok). */
static bool answer_complete(const struct starttls_proto *p, const char *cmd, const char *cap_ok,
			    const char *buf, size_t n)
{
	size_t off = 0, len, adv, lines = 0;

	if (p->style == ST_XML) {
		if (cmd && strstr(cmd, "starttls"))
			return memmem(buf, n, "/>", 2) || memmem(buf, n, "</failure>", 10);
		return memmem(buf, n, "</stream:features>", 18) ||
		       memmem(buf, n, "<stream:features/>", 18) ||
		       memmem(buf, n, "</stream:stream>", 16);
	}
	while ((adv = next_line(buf + off, n - off, &len))) {
		const char *l = buf + off;
		lines++;
		switch (p->style) {
		case ST_CODE:
			if (is_digit3(l, len) && (len == 3 || l[3] == ' '))
				return true;
			break;
		case ST_DOT:
			if (lines == 1 && !(cap_ok && has_prefix_ci(l, len, cap_ok)))
				return true;
			if (lines > 1 && len == 1 && l[0] == '.')
				return true;
			break;
		case ST_TAGGED: {
			size_t tl = tag_len(cmd);
			if (!cmd || (tl && len >= tl && strncasecmp(l, cmd, tl) == 0) ||
			    has_prefix_ci(l, len, "* BYE"))
				return true;
			break;
		}
		case ST_SIEVE:
			if (has_prefix_ci(l, len, "OK") || has_prefix_ci(l, len, "NO") ||
			    has_prefix_ci(l, len, "BYE"))
				return true;
			break;
		default:
			return true;
		}
		off += adv;
	}
	return false;
}

/* The last line of an answer: the one that says yes or no. */
static const char *last_line(const char *buf, size_t n, size_t *len)
{
	size_t off = 0, l, adv;
	const char *last = buf;

	*len = 0;
	while ((adv = next_line(buf + off, n - off, &l))) {
		last = buf + off;
		*len = l;
		off += adv;
	}
	return last;
}

/* The capability token as a word of some line (RFC 3207: "250-STARTTLS"; POP3: "STLS"; FTP:
 * " AUTH TLS"). */
static bool offers(const struct starttls_proto *p, const char *buf, size_t n)
{
	size_t k = strlen(p->token);

	for (size_t i = 0; i + k <= n; i++) {
		if (strncasecmp(buf + i, p->token, k) != 0)
			continue;
		char before = i ? buf[i - 1] : ' ';
		char after = i + k < n ? buf[i + k] : ' ';
		bool left = strchr(" -\t\n\"<", before) != NULL;
		bool right = strchr(" \r\n\t\"/>", after) != NULL;
		if (p->style == ST_XML || (left && right))
			return true;
	}
	return false;
}

/* ---- the binary protocols ---- */

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
		return fail(st, STARTTLS_FAILED, "%s", why);
	free(st->rep->starttls.answer);
	st->rep->starttls.answer = ans;
	if (code == 0)
		return 0;
	/* protocolError is what a server without the StartTLS operation answers (RFC 4511
	 * §4.12: an unrecognised requestName). */
	return fail(st, code == 2 ? STARTTLS_NOT_OFFERED : STARTTLS_REFUSED,
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
		return fail(st, STARTTLS_FAILED, "an empty handshake packet");
	if (p[0] == 0xff) {
		char *msg = textsafe_bytes(p + 3, len > 3 ? len - 3 : 0);
		unsigned code = len >= 3 ? (unsigned)(p[1] | p[2] << 8) : 0;
		free(st->rep->starttls.answer);
		st->rep->starttls.answer = xasprintf("error %u: %s", code, msg);
		free(msg);
		return fail(st, STARTTLS_REFUSED, "the server refused the connection: %s",
			    st->rep->starttls.answer);
	}
	const unsigned char *ver = p + 1, *nul = memchr(ver, 0, len - 1);
	if (p[0] != 10 || !nul || (size_t)(nul - p) + 1 + 4 + 8 + 1 + 2 > len)
		return fail(st, STARTTLS_FAILED, "not a MySQL protocol 10 handshake packet");
	const unsigned char *caps = nul + 1 + 4 + 8 + 1;
	unsigned flags = (unsigned)(caps[0] | caps[1] << 8);
	char *v = textsafe_bytes(ver, (size_t)(nul - ver));
	free(st->rep->starttls.answer);
	st->rep->starttls.answer = xasprintf("server %s, capabilities 0x%04x", v, flags);
	free(v);
	(void)n;
	if (!(flags & MYSQL_CLIENT_SSL))
		return fail(st, STARTTLS_NOT_OFFERED,
			    "the server (%s) does not offer TLS: CLIENT_SSL is not among its "
			    "capabilities",
			    st->rep->starttls.answer);
	return 0;
}

/* The SSL request (a HandshakeResponse cut after the character set, sequence 1): TLS
 * follows at once. Flags: LONG_PASSWORD, PROTOCOL_41, SSL, SECURE_CONNECTION, PLUGIN_AUTH. */
#define MYSQL_CAPS (0x1u | 0x200u | 0x800u | 0x8000u | 0x80000u)
static void mysql_request(unsigned char out[36], unsigned char seq)
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

/* ---- the exchange ---- */

static void queue(struct starttls *st, struct tls_trace *t, const void *data, size_t n,
		  const char *shown)
{
	free(st->out);
	st->out = xmemdup0(data, n);
	st->out_len = n;
	st->out_off = 0;
	st->in_len = 0;
	st->awaiting = true;
	if (shown)
		trace_step(t, TLS_DIR_SENT, STEP_STARTTLS, shown);
	else
		step(t, TLS_DIR_SENT, data, n);
}

/* A command of the table with "%s" standing for the host. */
static char *fill(const char *tmpl, const char *host)
{
	const char *at = strstr(tmpl, "%s");
	if (!at)
		return xstrdup(tmpl);
	return xasprintf("%.*s%s%s", (int)(at - tmpl), tmpl, host, at + 2);
}

static void queue_cmd(struct starttls *st, struct tls_trace *t, const char *fmt)
{
	char *cmd = fill(fmt, st->host);
	queue(st, t, cmd, strlen(cmd), NULL);
	free(cmd);
}

/* The command whose answer is read now (NULL: the greeting). */
static const char *current_cmd(const struct starttls *st)
{
	return st->stage == S_CAPA ? st->p->capa : st->stage == S_UPGRADE ? st->p->upgrade : NULL;
}

/* An answer is in: judge it and go on. 0: upgraded, 2: go on, -1: over. */
static int judge(struct starttls *st, struct tls_trace *t)
{
	const struct starttls_proto *p = st->p;
	const unsigned char *b = (const unsigned char *)st->in;
	size_t n = st->in_len, ll;

	switch (p->style) {
	case ST_PG:
		step(t, TLS_DIR_RECEIVED, st->in, 1);
		set_answer(st, st->in, 1);
		if (b[0] == 'S')
			return 0;
		if (b[0] == 'N')
			return fail(st, STARTTLS_NOT_OFFERED,
				    "the server answered the SSLRequest with 'N': SSL is off "
				    "(postgresql.conf: ssl = on)");
		return fail(st, STARTTLS_REFUSED, "the server answered the SSLRequest with \"%s\"",
			    st->rep->starttls.answer);
	case ST_LDAP:
		trace_step(t, TLS_DIR_RECEIVED, STEP_STARTTLS, "ExtendedResponse");
		return ldap_judge(st, b, n);
	case ST_MYSQL: {
		int rc = mysql_judge(st, b, n);
		trace_step(t, TLS_DIR_RECEIVED, STEP_STARTTLS, st->rep->starttls.answer);
		return rc;
	}
	default:
		break;
	}
	step(t, TLS_DIR_RECEIVED, st->in, n);
	const char *last = last_line(st->in, n, &ll);
	switch (st->stage) {
	case S_GREETING:
		if (!has_prefix_ci(st->in, n, p->greeting) && p->style != ST_SIEVE) {
			set_answer(st, st->in, n);
			return fail(st, STARTTLS_FAILED,
				    "the greeting \"%s\" is not a ready %s server's",
				    st->rep->starttls.answer, p->label);
		}
		if (p->style == ST_SIEVE) {
			/* The greeting is the capability list (RFC 5804 §1.7). */
			if (!has_prefix_ci(last, ll, "OK")) {
				set_answer(st, st->in, n);
				return fail(st, STARTTLS_REFUSED, "the server greeted with \"%s\"",
					    st->rep->starttls.answer);
			}
			if (!offers(p, st->in, n)) {
				set_answer(st, st->in, n);
				return fail(st, STARTTLS_NOT_OFFERED,
					    "the capabilities do not list STARTTLS: %s",
					    st->rep->starttls.answer);
			}
			st->stage = S_UPGRADE;
			queue_cmd(st, t, p->upgrade);
			return 2;
		}
		st->stage = S_CAPA;
		queue_cmd(st, t, p->capa);
		return 2;
	case S_CAPA:
		if (!offers(p, st->in, n)) {
			set_answer(st, st->in, n);
			return fail(st, STARTTLS_NOT_OFFERED,
				    "the server does not offer the upgrade (%s); its answer: %s",
				    p->token, st->rep->starttls.answer);
		}
		st->stage = S_UPGRADE;
		queue_cmd(st, t, p->upgrade);
		return 2;
	default:
		set_answer(st, p->style == ST_XML ? st->in : last, p->style == ST_XML ? n : ll);
		if (p->style == ST_XML ? memmem(st->in, n, "<proceed", 8) != NULL
				       : has_prefix_ci(last, ll, p->upgrade_ok))
			return 0;
		return fail(st, STARTTLS_REFUSED, "the server answered the upgrade with \"%s\"",
			    st->rep->starttls.answer);
	}
}

static bool complete(const struct starttls *st)
{
	const unsigned char *b = (const unsigned char *)st->in;

	switch (st->p->style) {
	case ST_PG:
		return st->in_len >= 1;
	case ST_LDAP:
		return ldap_complete(b, st->in_len);
	case ST_MYSQL:
		return mysql_complete(b, st->in_len);
	default:
		return answer_complete(st->p, current_cmd(st),
				       st->stage == S_CAPA ? st->p->capa_ok : NULL, st->in,
				       st->in_len);
	}
}

/* Reads what is there, never past the answer's end for the one-byte PostgreSQL answer (the
 * TLS handshake follows on the same socket). 1: wait, 0: a whole answer, -1: over. */
static int read_answer(struct starttls *st)
{
	for (;;) {
		if (complete(st))
			return 0;
		size_t room = ANSWER_MAX_BYTES - st->in_len;
		if (st->p->style == ST_PG)
			room = 1;
		else if (st->p->style == ST_MYSQL && st->in_len >= 4)
			room = mysql_complete((const unsigned char *)st->in, st->in_len) ? 0 : room;
		if (room == 0 || st->total >= TOTAL_MAX_BYTES) {
			set_answer(st, st->in, st->in_len);
			return fail(st, STARTTLS_FAILED,
				    "the server sent more than %u bytes without completing its "
				    "answer",
				    st->total >= TOTAL_MAX_BYTES ? TOTAL_MAX_BYTES
								 : ANSWER_MAX_BYTES);
		}
		ssize_t r = recv(st->fd, st->in + st->in_len, room, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 1;
		if (r <= 0) {
			int e = r < 0 ? errno : 0;
			if (st->in_len)
				set_answer(st, st->in, st->in_len);
			st->rep->handshake.peer_closed = true;
			return fail(st, STARTTLS_FAILED, "the server %s %s",
				    e ? strerror(e) : "closed the connection",
				    st->stage == S_GREETING ? "before its greeting was complete"
							    : "before answering");
		}
		st->in_len += (size_t)r;
		st->total += (size_t)r;
		st->in[st->in_len] = 0;
		/* One line must not grow without end (a server that never sends a newline). */
		if (st->p->style <= ST_SIEVE) {
			const char *nl = st->in_len ? memrchr(st->in, '\n', st->in_len) : NULL;
			size_t tail = nl ? st->in_len - (size_t)(nl - st->in) - 1 : st->in_len;
			if (tail > LINE_MAX_BYTES) {
				set_answer(st, st->in, st->in_len);
				return fail(st, STARTTLS_FAILED, "a line longer than %d bytes",
					    LINE_MAX_BYTES);
			}
		}
	}
}

static int send_out(struct starttls *st)
{
	while (st->out_off < st->out_len) {
		ssize_t w = send(st->fd, st->out + st->out_off, st->out_len - st->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 1;
		if (w < 0)
			return fail(st, STARTTLS_FAILED, "sending failed: %s", strerror(errno));
		st->out_off += (size_t)w;
	}
	return 0;
}

int starttls_run(struct starttls *st, struct tls_trace *t, short *events)
{
	st->fd = t->fd;
	if (st->stage == S_DONE)
		return -1;
	if (!st->started) {
		st->started = true;
		st->awaiting = true;
		if (st->p->style == ST_PG)
			queue(st, t, pg_sslrequest, sizeof(pg_sslrequest), "SSLRequest");
		else if (st->p->style == ST_LDAP)
			queue(st, t, ldap_starttls, sizeof(ldap_starttls),
			      "ExtendedRequest StartTLS (1.3.6.1.4.1.1466.20037)");
		else if (!st->p->greeting)
			queue_cmd(st, t, st->p->capa);
	}
	for (;;) {
		int rc = send_out(st);
		if (rc) {
			*events = POLLOUT;
			return rc;
		}
		rc = read_answer(st);
		if (rc) {
			*events = POLLIN;
			return rc;
		}
		rc = judge(st, t);
		if (rc == 0 && st->p->style == ST_MYSQL && st->stage != S_DONE) {
			/* Our SSL request answers the greeting; TLS follows it at once. */
			unsigned char req[36];
			mysql_request(req, (unsigned char)(st->in[3] + 1));
			st->stage = S_UPGRADE;
			queue(st, t, req, sizeof(req), "SSL request (CLIENT_SSL)");
			st->stage = S_DONE;
			rc = send_out(st);
			if (rc == 1) {
				/* 36 bytes on a fresh socket: a full buffer here is a server that
				 * reads nothing; the deadline ends it. */
				st->stage = S_UPGRADE;
				*events = POLLOUT;
				return 1;
			}
			if (rc < 0)
				return -1;
		}
		if (rc == 0) {
			st->stage = S_DONE;
			st->rep->starttls.outcome = STARTTLS_UPGRADED;
			return 0;
		}
		if (rc < 0)
			return -1;
	}
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

	mysql_request(b, 2);
	b[0] = (unsigned char)(n - 4);
	b[1] = (unsigned char)((n - 4) >> 8);
	memcpy(b + 36, user, ul);
	b[36 + ul] = 0; /* auth response length */
	memcpy(b + 36 + ul + 1, plugin, sizeof(plugin));
	*len = n;
	return (char *)b;
}

bool starttls_app_request(const struct starttls *st, const char *user, char **req, size_t *len)
{
	if (st->p->style == ST_MYSQL) {
		/* The certificate's CN, else root (the mysql client's habit as root). */
		*req = mysql_login(user && *user ? user : "root", len);
		return true;
	}
	if (st->p->style == ST_PG) {
		/* StartupMessage, protocol 3.0: user and database (PostgreSQL docs, "Message
		 * Formats"); the certificate checks of pg_hba.conf run on it. */
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
		*req = (char *)b;
		*len = n;
		return true;
	}
	if (st->p->style == ST_LDAP) {
		*req = xmemdup0(ldap_whoami, sizeof(ldap_whoami));
		*len = sizeof(ldap_whoami);
		return true;
	}
	if (!st->p->app)
		return false;
	*req = fill(st->p->app, st->host);
	*len = strlen(*req);
	return true;
}

bool starttls_app_complete(const struct starttls *st, const char *buf, size_t len)
{
	if (st->p->style == ST_PG) {
		const unsigned char *b = (const unsigned char *)buf;
		return len >= 5 && len >= 1 + (size_t)((uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
						       (uint32_t)b[3] << 8 | b[4]);
	}
	if (st->p->style == ST_MYSQL)
		return mysql_complete((const unsigned char *)buf, len);
	if (st->p->style == ST_LDAP)
		return ldap_complete((const unsigned char *)buf, len);
	return answer_complete(st->p, st->p->app, st->p->capa_ok, buf, len);
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
		a->answer = escaped((const char *)b, n);
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

void starttls_app_judge(const struct starttls *st, const char *buf, size_t len, const char *error,
			struct tls_report *rep)
{
	struct tls_application *a = &rep->application;
	const unsigned char *b = (const unsigned char *)buf;

	a->present = true;
	a->protocol = st->p->name;
	if (error)
		a->error = xstrdup(error);
	if (!len)
		return;
	if (st->p->style == ST_MYSQL) {
		mysql_answer(b, len, a);
		return;
	}
	if (st->p->style == ST_LDAP) {
		unsigned code = 0;
		const char *why;
		a->answer = ldap_result(b, len, &code, &why);
		if (!a->answer)
			a->answer = escaped(buf, len);
		/* protocolError: the server lacks the operation, not a refusal. */
		a->refused = code != 0 && code != 2;
	} else if (st->p->style == ST_PG) {
		if (b[0] == 'E') {
			a->answer = pg_error(b, len);
			a->refused = true;
		} else if (b[0] == 'R' && len >= 9) {
			uint32_t k = (uint32_t)b[5] << 24 | (uint32_t)b[6] << 16 |
				     (uint32_t)b[7] << 8 | b[8];
			a->answer = xasprintf("AuthenticationRequest %u (%s)", k,
					      k == 0	? "authenticated"
					      : k == 3	? "password"
					      : k == 5	? "MD5 password"
					      : k == 10 ? "SASL"
							: "another method");
		} else {
			a->answer = escaped(buf, len);
		}
	} else {
		size_t ll;
		const char *last = last_line(buf, len, &ll);
		a->answer = escaped(buf, len);
		a->refused = (st->p->style == ST_CODE && (last[0] == '4' || last[0] == '5')) ||
			     has_prefix_ci(last, ll, "-ERR") || has_prefix_ci(last, ll, "* BYE") ||
			     (st->p->style == ST_TAGGED && ll > 3 &&
			      (contains_ci(last, ll < 8 ? ll : 8, " NO") ||
			       contains_ci(last, ll < 8 ? ll : 8, " BAD")));
	}
	a->names_certificate =
		a->refused && a->answer && contains_ci(a->answer, strlen(a->answer), "certificate");
}
