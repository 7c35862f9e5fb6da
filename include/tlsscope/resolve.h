/* Name resolution in a worker thread (getaddrinfo blocks); the answer comes back on the loop. */
#ifndef TLSSCOPE_RESOLVE_H
#define TLSSCOPE_RESOLVE_H

#include <netdb.h>

#include "tlsscope/loop.h"

struct resolve_job;

/* fn receives the getaddrinfo result (0 and a list the callee frees with freeaddrinfo, or an
 * EAI_ code and NULL). Returns NULL if no thread could be started. */
typedef void (*resolve_fn)(void *arg, int gai_error, struct addrinfo *res);
struct resolve_job *resolve_start(struct loop *l, const char *host, unsigned port, resolve_fn fn,
				  void *arg);

/* Forgets the job: fn will not be called. The thread finishes on its own. Accepts NULL. */
void resolve_cancel(struct resolve_job *job);

#endif
