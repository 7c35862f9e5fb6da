/* tlsscope demo: runs one of the engine's scenarios (engine/demo.c) to the end and prints both
 * sides' reports of the same handshake, the client's first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sinks.h"
#include "tlsscope/demo.h"

static void on_batch_done(void *arg)
{
	loop_stop(arg);
}

int run_demo(const struct cli *cli)
{
	struct tls_error err = {{0}};
	const char *want = cli->scenario ? cli->scenario : "ok";
	long i = demo_find(want);

	if (i < 0) {
		char names[512] = "";
		for (size_t k = 0; k < demo_count(); k++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 k ? ", " : "", demo_name(k));
		tls_error_set(&err, "no demo scenario '%s'; there are: %s", want, names);
		return cli_usage_error(err.msg);
	}
	struct loop *loop = loop_new();
	struct demo_run *d = demo_start(loop, (size_t)i, NULL, on_batch_done, loop, &err);
	if (!d) {
		loop_free(loop);
		return cli_usage_error(err.msg);
	}
	loop_run(loop);

	const struct tls_report *lr = demo_listener_report(d);
	const struct tls_report *cr = demo_client_report(d);
	struct cli_out out;
	cli_out_open(&out);
	if (cli->json) {
		char *s = report_json_dump(cr, true);
		fprintf(out.f, "%s\n", s);
		free(s);
		if (lr) {
			s = report_json_dump(lr, true);
			fprintf(out.f, "%s\n", s);
			free(s);
		}
	} else {
		bool color = cli_want_color();
		fprintf(out.f, "tlsscope demo, scenario %s: %s.\n", demo_name((size_t)i),
			demo_story((size_t)i));
		fprintf(out.f, "\n==================== the client's view ====================\n");
		report_text_print(out.f, cr, color);
		fprintf(out.f, "\n=================== the listener's view ===================\n");
		if (lr)
			report_text_print(out.f, lr, color);
		else
			fprintf(out.f, "(the listener saw no connection)\n");
		fprintf(out.f, "\nOther scenarios: tlsscope demo --scenario NAME (see tlsscope "
			       "--help).\n");
	}
	int rc = cr->verdict_ok && lr && lr->verdict_ok ? EXIT_OK : EXIT_FINDINGS;
	if (cli_out_write(&out))
		rc = EXIT_USAGE;
	demo_free(d);
	loop_free(loop);
	return rc;
}
