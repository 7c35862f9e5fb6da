/* One poll() loop: file descriptors and timers at monotonic deadlines. Worker threads report
 * back through a descriptor of their own (resolve.c). Everything runs on the thread that calls
 * loop_run. */
#ifndef TLSSCOPE_LOOP_H
#define TLSSCOPE_LOOP_H

#include <stdbool.h>

struct loop;

typedef void (*loop_fd_fn)(void *arg, int fd, short revents);
typedef void (*loop_timer_fn)(void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l); /* accepts NULL */

/* Watches fd for events (POLLIN/POLLOUT). One watch per fd. Returns 0 or -1. */
int loop_watch(struct loop *l, int fd, short events, loop_fd_fn fn, void *arg);
void loop_set_events(struct loop *l, int fd, short events);
void loop_unwatch(struct loop *l, int fd);

/* Calls fn once at the monotonic time at_ms (util_now_ms scale). Returns an id > 0. */
int loop_timer_add(struct loop *l, double at_ms, loop_timer_fn fn, void *arg);
void loop_timer_cancel(struct loop *l, int id); /* id 0 is ignored */

/* Runs until loop_stop, or until nothing is watched and no timer is pending. */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
