/* Small shared pieces: error messages, allocation, string lists, file reading, clocks. */
#ifndef TLSSCOPE_UTIL_H
#define TLSSCOPE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Files above this size are refused (DESIGN.md §1): nothing tlsscope reads is that large. */
#define TLS_MAX_INPUT_FILE (10u * 1024u * 1024u)

/* An error message for the caller: the engine never prints, it fills one of these. */
struct tls_error {
	char msg[512];
};

void tls_error_set(struct tls_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Allocation that cannot fail: on exhaustion the fatal hook runs (the TUI restores the
 * terminal there), then the process aborts. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Exactly n bytes of p (which need not be NUL-terminated), plus a NUL. */
char *xmemdup0(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xalloc_set_fatal_hook(void (*hook)(void));

/* A growable list of owned strings. Zero-initialised is empty; strlist_free accepts that. */
struct strlist {
	char **v;
	size_t n;
};

void strlist_add(struct strlist *l, const char *s);
void strlist_take(struct strlist *l, char *s); /* takes ownership of s */
bool strlist_contains(const struct strlist *l, const char *s);
void strlist_free(struct strlist *l);

/* How long a pipe may take to give all its data (--password-file <(pass show x)): a FIFO
 * nobody writes to is refused after this, never waited for without end. */
#define TLS_PIPE_WAIT_S 3

/* Reads a whole file into *data (NUL-terminated, caller frees). Refuses files above max, and
 * what is neither a regular file nor a pipe ("FILE: not a regular file"). Never blocks in
 * open(): a pipe or FIFO is read as it comes, up to TLS_PIPE_WAIT_S ("FILE: a pipe that gave
 * no data within 3 s"). Returns 0, or -1 with a message naming the file in err. */
int util_read_file(const char *path, size_t max, unsigned char **data, size_t *len,
		   struct tls_error *err);

/* While util_read_file waits for a pipe, a signal interrupts the wait and cancelled (may be
 * NULL: never) says whether to give up at once ("FILE: reading was interrupted"): the TUI
 * quits on SIGTERM without waiting out the pipe. cancelled runs on the reading thread, after
 * the handler returned. */
void util_set_read_cancel(bool (*cancelled)(void));

/* While util_read_file waits for a pipe, input on fd (-1: none) ends the wait at once ("FILE:
 * a pipe that gave no data before a key was pressed"); the input stays unread for its owner.
 * The TUI passes its terminal, so that keys never wait behind a pipe. */
void util_set_read_wake_fd(int fd);

/* Monotonic clock in milliseconds. */
double util_now_ms(void);

/* ISO 8601 UTC ("2026-11-27T16:00:00Z") into buf of at least 21 bytes. */
void util_iso_time(long long t, char *buf, size_t len);

#endif
