/* Engine-internal: the listener's sockets. */
#ifndef TLSSCOPE_ENGINE_SOCKETS_H
#define TLSSCOPE_ENGINE_SOCKETS_H

#include <sys/socket.h>

#include "tlsscope/util.h"

/* A non-blocking socket of family bound to addr (NULL: every address) and port (0: an
 * ephemeral one) and listening; an IPv6 one is IPv6 only (IPv4 has a socket of its own, as
 * gnutls-serv and openssl s_server do it). Returns the descriptor with the port bound in
 * *bound, or -1 with err set. */
int sockets_listen(int family, const char *addr, unsigned port, unsigned *bound,
		   struct tls_error *err);

/* "1.2.3.4:5" or "[::1]:5". */
void sockets_peer_name(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif
