/* Engine-internal: what the STARTTLS files share. starttls.c runs the exchange and holds the
 * protocol table and the line-based protocols; starttls_binary.c reads and writes the binary
 * ones (LDAP, PostgreSQL, MySQL); starttls_common.c records steps and outcomes for both. */
#ifndef TLSSCOPE_ENGINE_STARTTLS_COMMON_H
#define TLSSCOPE_ENGINE_STARTTLS_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/report.h"

struct tls_trace;

/* A server that drips, lies or floods is bounded: one line, one answer, the whole exchange. */
#define LINE_MAX_BYTES	 4096
#define ANSWER_MAX_BYTES (64 * 1024)
#define TOTAL_MAX_BYTES	 (256 * 1024)

/* How an answer ends. The binary protocols come last (starttls_is_binary). */
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

static inline bool starttls_is_binary(const struct starttls_proto *p)
{
	return p->style >= ST_LDAP;
}

/* What the server said (s, n bytes) for a step or the report: without its last line end,
 * escaped, cut to a few hundred bytes. Caller frees. */
char *stls_escaped(const char *s, size_t n);
/* One "StartTLS" step of what was sent or received. */
void stls_step(struct tls_trace *t, enum tls_dir dir, const char *s, size_t n);
/* rep->starttls.answer becomes the escaped s. */
void stls_set_answer(struct starttls *st, const char *s, size_t n);
/* The exchange is over without an upgrade: the outcome why, the handshake error from fmt.
 * Returns -1. */
int stls_fail(struct starttls *st, enum tls_starttls_outcome why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Case-insensitive: s (n bytes) starts with prefix; s contains needle. */
bool stls_has_prefix_ci(const char *s, size_t n, const char *prefix);
bool stls_contains_ci(const char *s, size_t n, const char *needle);

#endif
