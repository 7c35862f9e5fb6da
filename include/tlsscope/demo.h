/* The demo's scenarios: a PKI in a private temporary directory, the listener and the client in
 * one process over loopback. The engine runs them and prints nothing: the demo command prints
 * both reports, the TUI shows them live. */
#ifndef TLSSCOPE_DEMO_H
#define TLSSCOPE_DEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "tlsscope/creds.h"
#include "tlsscope/event.h"
#include "tlsscope/loop.h"
#include "tlsscope/report.h"

struct demo_run;

size_t demo_count(void);
const char *demo_name(size_t i);  /* NULL past the end */
const char *demo_story(size_t i); /* what the scenario shows, in a sentence */
long demo_find(const char *name); /* the index, or -1 */

/* Makes the scenario's PKI (blocks for key generation, well under a second) and starts both
 * sides on l; the client's events go to sink (may be NULL). done runs on the loop thread when
 * both sides have reported, or after 20 s. NULL with err set on failure. */
struct demo_run *demo_start(struct loop *l, size_t scenario, const struct tls_sink *sink,
			    void (*done)(void *arg), void *arg, struct tls_error *err);
struct tls_report *demo_client_report(struct demo_run *d);
/* The listener's report of the connection, or NULL until it has one. */
const struct tls_report *demo_listener_report(const struct demo_run *d);
/* The client's trust anchors (the demo CA), for what-if re-verification. */
const struct tls_creds *demo_client_trust(const struct demo_run *d);
bool demo_running(const struct demo_run *d);
/* Stops both sides and removes the temporary directory. Accepts NULL. */
void demo_free(struct demo_run *d);

#endif
