#include "tlsscope/worker.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsscope/util.h"

/* Shared by the loop side and the thread; the last one to let go frees it. The thread signals
 * completion with one byte on a socketpair watched by the loop: send(MSG_NOSIGNAL) fails
 * harmlessly when the loop side has already closed its end. */
struct worker_job {
	pthread_mutex_t lock;
	int refs;
	bool cancelled;
	int fds[2]; /* [0] loop side, [1] thread side */
	struct loop *loop;
	void (*work)(void *);
	void (*done)(void *);
	void (*release)(void *);
	void *arg;
};

static void job_unref(struct worker_job *j)
{
	pthread_mutex_lock(&j->lock);
	int left = --j->refs;
	pthread_mutex_unlock(&j->lock);
	if (left)
		return;
	if (j->cancelled && j->release)
		j->release(j->arg);
	close(j->fds[1]);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void *thread_main(void *p)
{
	struct worker_job *j = p;

	j->work(j->arg);
	(void)!send(j->fds[1], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	job_unref(j);
	return NULL;
}

static void on_ready(void *arg, int fd, short revents)
{
	struct worker_job *j = arg;
	void (*done)(void *) = j->done;
	void *a = j->arg;

	(void)revents;
	loop_unwatch(j->loop, fd);
	close(fd);
	job_unref(j);
	done(a);
}

struct worker_job *worker_start(struct loop *l, void (*work)(void *arg), void (*done)(void *arg),
				void (*release)(void *arg), void *arg)
{
	struct worker_job *j = xcalloc(1, sizeof(*j));
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
	j->work = work;
	j->done = done;
	j->release = release;
	j->arg = arg;
	loop_watch(l, j->fds[0], POLLIN, on_ready, j);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&th, &attr, thread_main, j);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		loop_unwatch(l, j->fds[0]);
		close(j->fds[0]);
		close(j->fds[1]);
		pthread_mutex_destroy(&j->lock);
		free(j);
		return NULL;
	}
	return j;
}

void worker_cancel(struct worker_job *j)
{
	if (!j)
		return;
	loop_unwatch(j->loop, j->fds[0]);
	close(j->fds[0]);
	pthread_mutex_lock(&j->lock);
	j->cancelled = true;
	pthread_mutex_unlock(&j->lock);
	job_unref(j);
}
