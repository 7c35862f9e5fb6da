/* A handshake load generator for the listener benchmark: PARALLEL threads make COUNT TLS
 * handshakes in all against 127.0.0.1:PORT with plain GnuTLS (no verification: the client's
 * work is not what is measured), each closing with close_notify. Prints one line:
 * "handshakes N failed F seconds S".
 *
 * Usage: loadgen PORT COUNT PARALLEL [1.2|1.3] */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned port;
static long count;
static const char *priority = "NORMAL";
static atomic_long next, done, failed;
static gnutls_certificate_credentials_t cred;

static int one_handshake(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	gnutls_session_t s;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc = -1;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	gnutls_init(&s, GNUTLS_CLIENT);
	gnutls_priority_set_direct(s, priority, NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 10000);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc == 0)
		gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
	close(fd);
	return rc == 0 ? 0 : -1;
}

static void *worker(void *arg)
{
	(void)arg;
	while (atomic_fetch_add(&next, 1) < count) {
		if (one_handshake() == 0)
			atomic_fetch_add(&done, 1);
		else
			atomic_fetch_add(&failed, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;

	if (argc < 4) {
		fprintf(stderr, "usage: loadgen PORT COUNT PARALLEL [1.2|1.3]\n");
		return 2;
	}
	port = (unsigned)atoi(argv[1]);
	count = atol(argv[2]);
	int parallel = atoi(argv[3]);
	if (argc > 4 && strcmp(argv[4], "1.2") == 0)
		priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	else if (argc > 4)
		priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	if (port == 0 || count <= 0 || parallel <= 0 || parallel > 256) {
		fprintf(stderr, "loadgen: bad arguments\n");
		return 2;
	}
	gnutls_certificate_allocate_credentials(&cred);
	pthread_t *t = calloc((size_t)parallel, sizeof(*t));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < parallel; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < parallel; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("handshakes %ld failed %ld seconds %.3f\n", (long)done, (long)failed,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(t);
	gnutls_certificate_free_credentials(cred);
	return failed ? 1 : 0;
}
