#include "tlsscope/loop.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "tlsscope/util.h"

struct watch {
	int fd;
	short events;
	loop_fd_fn fn;
	void *arg;
	unsigned gen; /* changes when the slot is reused, so a stale dispatch is skipped */
};

struct timer {
	int id;
	double at;
	loop_timer_fn fn;
	void *arg;
};

struct loop {
	struct watch *w;
	size_t nw, capw;
	struct timer *t;
	size_t nt, capt;
	int next_timer;
	unsigned gen;
	bool stop;
	struct pollfd *pfd;
	unsigned *pgen;
	size_t cap_pfd;
};

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->next_timer = 1;
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	free(l->w);
	free(l->t);
	free(l->pfd);
	free(l->pgen);
	free(l);
}

static struct watch *find_watch(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nw; i++)
		if (l->w[i].fd == fd)
			return &l->w[i];
	return NULL;
}

int loop_watch(struct loop *l, int fd, short events, loop_fd_fn fn, void *arg)
{
	if (fd < 0 || find_watch(l, fd))
		return -1;
	if (l->nw == l->capw) {
		l->capw = l->capw ? l->capw * 2 : 8;
		l->w = xrealloc(l->w, l->capw * sizeof(*l->w));
	}
	l->w[l->nw++] =
		(struct watch){.fd = fd, .events = events, .fn = fn, .arg = arg, .gen = ++l->gen};
	return 0;
}

void loop_set_events(struct loop *l, int fd, short events)
{
	struct watch *w = find_watch(l, fd);

	if (w)
		w->events = events;
}

void loop_unwatch(struct loop *l, int fd)
{
	struct watch *w = find_watch(l, fd);

	if (!w)
		return;
	*w = l->w[--l->nw];
}

int loop_timer_add(struct loop *l, double at_ms, loop_timer_fn fn, void *arg)
{
	if (l->nt == l->capt) {
		l->capt = l->capt ? l->capt * 2 : 8;
		l->t = xrealloc(l->t, l->capt * sizeof(*l->t));
	}
	if (l->next_timer <= 0)
		l->next_timer = 1;
	int id = l->next_timer++;
	l->t[l->nt++] = (struct timer){.id = id, .at = at_ms, .fn = fn, .arg = arg};
	return id;
}

void loop_timer_cancel(struct loop *l, int id)
{
	for (size_t i = 0; id && i < l->nt; i++) {
		if (l->t[i].id == id) {
			l->t[i] = l->t[--l->nt];
			return;
		}
	}
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

/* Fires every timer that is due; a callback may add or cancel timers. */
static void run_timers(struct loop *l, double now)
{
	for (;;) {
		size_t due = l->nt;
		for (size_t i = 0; i < l->nt; i++)
			if (l->t[i].at <= now && (due == l->nt || l->t[i].at < l->t[due].at))
				due = i;
		if (due == l->nt || l->stop)
			return;
		struct timer t = l->t[due];
		l->t[due] = l->t[--l->nt];
		t.fn(t.arg);
	}
}

static int poll_timeout(const struct loop *l, double now)
{
	double next = INFINITY;

	for (size_t i = 0; i < l->nt; i++)
		if (l->t[i].at < next)
			next = l->t[i].at;
	if (next == INFINITY)
		return -1;
	if (next <= now)
		return 0;
	return (int)ceil(next - now);
}

void loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop && (l->nw || l->nt)) {
		size_t n = l->nw;
		if (n > l->cap_pfd) {
			l->cap_pfd = n * 2;
			l->pfd = xrealloc(l->pfd, l->cap_pfd * sizeof(*l->pfd));
			l->pgen = xrealloc(l->pgen, l->cap_pfd * sizeof(*l->pgen));
		}
		for (size_t i = 0; i < n; i++) {
			l->pfd[i] = (struct pollfd){.fd = l->w[i].fd, .events = l->w[i].events};
			l->pgen[i] = l->w[i].gen;
		}
		int rc = poll(l->pfd, (nfds_t)n, poll_timeout(l, util_now_ms()));
		if (rc < 0 && errno != EINTR)
			break;
		run_timers(l, util_now_ms());
		for (size_t i = 0; rc > 0 && i < n && !l->stop; i++) {
			if (!l->pfd[i].revents)
				continue;
			struct watch *w = find_watch(l, l->pfd[i].fd);
			if (!w || w->gen != l->pgen[i])
				continue; /* removed or replaced by an earlier callback */
			w->fn(w->arg, w->fd, l->pfd[i].revents);
		}
	}
}
