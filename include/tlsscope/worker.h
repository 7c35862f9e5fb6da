/* Blocking work (name resolution, key generation, reading a huge file) in a thread of its own,
 * with the result handed back on the loop thread. */
#ifndef TLSSCOPE_WORKER_H
#define TLSSCOPE_WORKER_H

#include "tlsscope/loop.h"

struct worker_job;

/* work(arg) runs in the thread (every signal blocked there, so SIGINT and SIGWINCH reach the
 * loop thread); then done(arg) runs on the loop thread. After worker_cancel, done is not
 * called and release(arg) frees arg once the thread is through (release may be NULL).
 * Returns NULL if no thread could be started (nothing is called then). */
struct worker_job *worker_start(struct loop *l, void (*work)(void *arg), void (*done)(void *arg),
				void (*release)(void *arg), void *arg);

/* Forgets the job: done will not be called. Accepts NULL. Not for use after done ran. */
void worker_cancel(struct worker_job *job);

#endif
