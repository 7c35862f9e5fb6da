#include "tlsscope/resolve.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsscope/util.h"

/* Shared by the loop side and the worker; the last one to let go frees it. The worker signals
 * completion with one byte on a socketpair watched by the loop: send(MSG_NOSIGNAL) fails
 * harmlessly when the loop side has already closed its end. */
struct resolve_job {
	pthread_mutex_t lock;
	int refs;
	int fds[2]; /* [0] loop side, [1] worker side */
	struct loop *loop;
	resolve_fn fn;
	void *arg;
	char *host;
	char port[8];
	int gai_error;
	struct addrinfo *res;
};

static void job_unref(struct resolve_job *j)
{
	pthread_mutex_lock(&j->lock);
	int left = --j->refs;
	pthread_mutex_unlock(&j->lock);
	if (left)
		return;
	if (j->res)
		freeaddrinfo(j->res);
	close(j->fds[1]);
	pthread_mutex_destroy(&j->lock);
	free(j->host);
	free(j);
}

static void *worker(void *p)
{
	struct resolve_job *j = p;
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(j->host, j->port, &hints, &res);

	pthread_mutex_lock(&j->lock);
	j->gai_error = rc;
	j->res = rc == 0 ? res : NULL;
	pthread_mutex_unlock(&j->lock);
	(void)!send(j->fds[1], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	job_unref(j);
	return NULL;
}

static void on_ready(void *arg, int fd, short revents)
{
	struct resolve_job *j = arg;
	(void)revents;

	loop_unwatch(j->loop, fd);
	close(fd);
	pthread_mutex_lock(&j->lock);
	struct addrinfo *res = j->res;
	int gai_error = j->gai_error;
	j->res = NULL;
	pthread_mutex_unlock(&j->lock);
	resolve_fn fn = j->fn;
	void *cb_arg = j->arg;
	job_unref(j);
	fn(cb_arg, gai_error, res);
}

struct resolve_job *resolve_start(struct loop *l, const char *host, unsigned port, resolve_fn fn,
				  void *arg)
{
	struct resolve_job *j = xcalloc(1, sizeof(*j));
	pthread_t th;
	pthread_attr_t attr;
	sigset_t all, old;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, j->fds) < 0) {
		free(j);
		return NULL;
	}
	pthread_mutex_init(&j->lock, NULL);
	j->refs = 2;
	j->loop = l;
	j->fn = fn;
	j->arg = arg;
	j->host = xstrdup(host);
	snprintf(j->port, sizeof(j->port), "%u", port);
	loop_watch(l, j->fds[0], POLLIN, on_ready, j);

	/* The worker blocks every signal, so SIGINT and SIGWINCH reach the loop thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&th, &attr, worker, j);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		loop_unwatch(l, j->fds[0]);
		close(j->fds[0]);
		j->refs = 1;
		job_unref(j);
		return NULL;
	}
	return j;
}

void resolve_cancel(struct resolve_job *j)
{
	if (!j)
		return;
	loop_unwatch(j->loop, j->fds[0]);
	close(j->fds[0]);
	job_unref(j);
}
