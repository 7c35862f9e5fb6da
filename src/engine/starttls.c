#include "tlsscope/starttls.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "starttls_binary.h"
#include "starttls_common.h"
#include "tlsscope/util.h"
#include "trace.h"

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
	if (stls_has_prefix_ci(s, n, "220")) {
		if (stls_contains_ci(s, n, "LMTP") || port == 24)
			return "lmtp";
		if (stls_contains_ci(s, n, "FTP") || port == 21)
			return "ftp";
		return "smtp";
	}
	if (stls_has_prefix_ci(s, n, "* OK") || stls_has_prefix_ci(s, n, "* PREAUTH"))
		return "imap";
	if (stls_has_prefix_ci(s, n, "+OK"))
		return "pop3";
	if ((stls_has_prefix_ci(s, n, "200 ") || stls_has_prefix_ci(s, n, "201 ")) &&
	    (port == 119 || stls_contains_ci(s, n, "NNTP") || stls_contains_ci(s, n, "news")))
		return "nntp";
	if (stls_has_prefix_ci(s, n, "\"IMPLEMENTATION\"") || stls_has_prefix_ci(s, n, "\"SASL\""))
		return "sieve";
	if (stls_has_prefix_ci(s, n, "<?xml") || stls_has_prefix_ci(s, n, "<stream:"))
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

void starttls_timeout(struct starttls *st, double timeout_s)
{
	if (st->stage == S_DONE)
		return;
	if (st->in_len)
		stls_set_answer(st, st->in, st->in_len);
	stls_fail(st, STARTTLS_FAILED, "no complete answer %s within %.1f s",
		  st->stage == S_GREETING ? "(greeting)"
		  : st->stage == S_CAPA	  ? "to the capability request"
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
			if (lines == 1 && !(cap_ok && stls_has_prefix_ci(l, len, cap_ok)))
				return true;
			if (lines > 1 && len == 1 && l[0] == '.')
				return true;
			break;
		case ST_TAGGED: {
			size_t tl = tag_len(cmd);
			if (!cmd || (tl && len >= tl && strncasecmp(l, cmd, tl) == 0) ||
			    stls_has_prefix_ci(l, len, "* BYE"))
				return true;
			break;
		}
		case ST_SIEVE:
			if (stls_has_prefix_ci(l, len, "OK") || stls_has_prefix_ci(l, len, "NO") ||
			    stls_has_prefix_ci(l, len, "BYE"))
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
		stls_step(t, TLS_DIR_SENT, data, n);
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
	size_t n = st->in_len, ll;

	if (starttls_is_binary(p))
		return stls_binary_judge(st, t);
	stls_step(t, TLS_DIR_RECEIVED, st->in, n);
	const char *last = last_line(st->in, n, &ll);
	switch (st->stage) {
	case S_GREETING:
		if (!stls_has_prefix_ci(st->in, n, p->greeting) && p->style != ST_SIEVE) {
			stls_set_answer(st, st->in, n);
			return stls_fail(st, STARTTLS_FAILED,
					 "the greeting \"%s\" is not a ready %s server's",
					 st->rep->starttls.answer, p->label);
		}
		if (p->style == ST_SIEVE) {
			/* The greeting is the capability list (RFC 5804 §1.7). */
			if (!stls_has_prefix_ci(last, ll, "OK")) {
				stls_set_answer(st, st->in, n);
				return stls_fail(st, STARTTLS_REFUSED,
						 "the server greeted with \"%s\"",
						 st->rep->starttls.answer);
			}
			if (!offers(p, st->in, n)) {
				stls_set_answer(st, st->in, n);
				return stls_fail(st, STARTTLS_NOT_OFFERED,
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
			stls_set_answer(st, st->in, n);
			return stls_fail(
				st, STARTTLS_NOT_OFFERED,
				"the server does not offer the upgrade (%s); its answer: %s",
				p->token, st->rep->starttls.answer);
		}
		st->stage = S_UPGRADE;
		queue_cmd(st, t, p->upgrade);
		return 2;
	default:
		stls_set_answer(st, p->style == ST_XML ? st->in : last,
				p->style == ST_XML ? n : ll);
		if (p->style == ST_XML ? memmem(st->in, n, "<proceed", 8) != NULL
				       : stls_has_prefix_ci(last, ll, p->upgrade_ok))
			return 0;
		return stls_fail(st, STARTTLS_REFUSED,
				 "the server answered the upgrade with \"%s\"",
				 st->rep->starttls.answer);
	}
}

static bool complete(const struct starttls *st)
{
	if (starttls_is_binary(st->p))
		return stls_binary_complete(st->p, (const unsigned char *)st->in, st->in_len);
	return answer_complete(st->p, current_cmd(st), st->stage == S_CAPA ? st->p->capa_ok : NULL,
			       st->in, st->in_len);
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
		else if (st->p->style == ST_MYSQL && st->in_len >= 4 && complete(st))
			room = 0;
		if (room == 0 || st->total >= TOTAL_MAX_BYTES) {
			stls_set_answer(st, st->in, st->in_len);
			return stls_fail(
				st, STARTTLS_FAILED,
				"the server sent more than %u bytes without completing its "
				"answer",
				st->total >= TOTAL_MAX_BYTES ? TOTAL_MAX_BYTES : ANSWER_MAX_BYTES);
		}
		ssize_t r = recv(st->fd, st->in + st->in_len, room, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 1;
		if (r <= 0) {
			int e = r < 0 ? errno : 0;
			if (st->in_len)
				stls_set_answer(st, st->in, st->in_len);
			st->rep->handshake.peer_closed = true;
			return stls_fail(st, STARTTLS_FAILED, "the server %s %s",
					 e ? strerror(e) : "closed the connection",
					 st->stage == S_GREETING
						 ? "before its greeting was complete"
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
				stls_set_answer(st, st->in, st->in_len);
				return stls_fail(st, STARTTLS_FAILED, "a line longer than %d bytes",
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
			return stls_fail(st, STARTTLS_FAILED, "sending failed: %s",
					 strerror(errno));
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
		size_t len;
		const char *shown;
		const unsigned char *req =
			starttls_is_binary(st->p) ? stls_binary_request(st->p, &len, &shown) : NULL;
		if (req)
			queue(st, t, req, len, shown);
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
			stls_mysql_ssl_request(req, (unsigned char)(st->in[3] + 1));
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

bool starttls_app_request(const struct starttls *st, const char *user, char **req, size_t *len)
{
	if (starttls_is_binary(st->p)) {
		stls_binary_app_request(st, user, req, len);
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
	if (starttls_is_binary(st->p))
		return stls_binary_app_complete(st, buf, len);
	return answer_complete(st->p, st->p->app, st->p->capa_ok, buf, len);
}

void starttls_app_judge(const struct starttls *st, const char *buf, size_t len, const char *error,
			struct tls_report *rep)
{
	struct tls_application *a = &rep->application;

	a->present = true;
	a->protocol = st->p->name;
	if (error)
		a->error = xstrdup(error);
	if (!len)
		return;
	if (starttls_is_binary(st->p)) {
		stls_binary_app_judge(st, buf, len, a);
		return;
	}
	size_t ll;
	const char *last = last_line(buf, len, &ll);
	a->answer = stls_escaped(buf, len);
	a->refused = (st->p->style == ST_CODE && (last[0] == '4' || last[0] == '5')) ||
		     stls_has_prefix_ci(last, ll, "-ERR") ||
		     stls_has_prefix_ci(last, ll, "* BYE") ||
		     (st->p->style == ST_TAGGED && ll > 3 &&
		      (stls_contains_ci(last, ll < 8 ? ll : 8, " NO") ||
		       stls_contains_ci(last, ll < 8 ? ll : 8, " BAD")));
	a->names_certificate = a->refused && a->answer &&
			       stls_contains_ci(a->answer, strlen(a->answer), "certificate");
}
