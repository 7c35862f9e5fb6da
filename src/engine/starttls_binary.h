/* Engine-internal: the binary STARTTLS protocols, LDAP, PostgreSQL and MySQL
 * (starttls_binary.c), for the exchange in starttls.c. Each function serves a protocol for
 * which starttls_is_binary holds. */
#ifndef TLSSCOPE_ENGINE_STARTTLS_BINARY_H
#define TLSSCOPE_ENGINE_STARTTLS_BINARY_H

#include <stdbool.h>
#include <stddef.h>

#include "starttls_common.h"

/* The request that opens the exchange (PostgreSQL's SSLRequest, LDAP's StartTLS), static, with
 * its length and how the step shows it; NULL when the server speaks first (MySQL). */
const unsigned char *stls_binary_request(const struct starttls_proto *p, size_t *len,
					 const char **shown);
/* Whether b (n bytes) holds the server's whole answer. */
bool stls_binary_complete(const struct starttls_proto *p, const unsigned char *b, size_t n);
/* Records and judges the answer in st->in: 0 agreed, -1 over (stls_fail said why). */
int stls_binary_judge(struct starttls *st, struct tls_trace *t);
/* MySQL's SSL request: a HandshakeResponse cut after the character set, sequence seq. */
void stls_mysql_ssl_request(unsigned char out[36], unsigned char seq);

/* After the handshake: the first request (user: the certificate's CN, or NULL), the caller's
 * to free; whether buf holds its whole answer; that answer into a. */
void stls_binary_app_request(const struct starttls *st, const char *user, char **req, size_t *len);
bool stls_binary_app_complete(const struct starttls *st, const char *buf, size_t len);
void stls_binary_app_judge(const struct starttls *st, const char *buf, size_t len,
			   struct tls_application *a);

#endif
