/* The defaults of the client's and the listener's configuration, in one place. */
#include "tlsscope/engine.h"
#include "tlsscope/server.h"
#include "tlsscope/target.h"

#define DEFAULT_TIMEOUT_S	    10.0
#define DEFAULT_HANDSHAKE_TIMEOUT_S 10.0
#define DEFAULT_MAX_CONNS	    256u
#define DEFAULT_HISTORY		    1000u

struct tls_client_config client_config_defaults(void)
{
	return (struct tls_client_config){
		.port = TLS_DEFAULT_PORT,
		.timeout_s = DEFAULT_TIMEOUT_S,
		.http = HTTP_AUTO,
	};
}

struct tls_server_config server_config_defaults(void)
{
	return (struct tls_server_config){
		.client_cert = CLIENT_CERT_NONE,
		.respond = RESPOND_HTTP,
		.handshake_timeout_s = DEFAULT_HANDSHAKE_TIMEOUT_S,
		.max_conns = DEFAULT_MAX_CONNS,
		.history = DEFAULT_HISTORY,
	};
}
