#include "tlsscope/resolve.h"

#include <stdio.h>
#include <stdlib.h>

#include "tlsscope/util.h"
#include "tlsscope/worker.h"

struct resolve_job {
	struct worker_job *job;
	resolve_fn fn;
	void *arg;
	char *host;
	char port[8];
	int gai_error;
	struct addrinfo *res;
};

static void work(void *p)
{
	struct resolve_job *r = p;
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};

	r->gai_error = getaddrinfo(r->host, r->port, &hints, &r->res);
	if (r->gai_error)
		r->res = NULL;
}

static void release(void *p)
{
	struct resolve_job *r = p;

	if (r->res)
		freeaddrinfo(r->res);
	free(r->host);
	free(r);
}

static void done(void *p)
{
	struct resolve_job *r = p;
	struct addrinfo *res = r->res;

	r->res = NULL;
	r->fn(r->arg, r->gai_error, res);
	release(r);
}

struct resolve_job *resolve_start(struct loop *l, const char *host, unsigned port, resolve_fn fn,
				  void *arg)
{
	struct resolve_job *r = xcalloc(1, sizeof(*r));

	r->fn = fn;
	r->arg = arg;
	r->host = xstrdup(host);
	snprintf(r->port, sizeof(r->port), "%u", port);
	r->job = worker_start(l, work, done, release, r);
	if (!r->job) {
		release(r);
		return NULL;
	}
	return r;
}

void resolve_cancel(struct resolve_job *r)
{
	if (r)
		worker_cancel(r->job);
}
