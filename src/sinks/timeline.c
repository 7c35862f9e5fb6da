/* The one renderer of timeline lines (timeline.h). */
#include <stdio.h>

#include "timeline.h"
#include "tlsscope/names.h"

const struct timeline_layout timeline_text_layout = {
	.sent = "->",
	.received = "<-",
	.failed_here = "<< failed here",
	.indent = "  ",
	.arrow_gap = "  ",
	.name_width = 20,
	.detail_gap = " ",
	.gap_without_detail = true,
};

static void put_mark(const struct tls_step *s, const struct timeline_layout *lay,
		     timeline_put_fn put, void *ctx)
{
	if (!s->failure_point || lay->no_mark)
		return;
	put(ctx, TL_SPACE, s, "  ");
	put(ctx, TL_MARK, s, lay->failed_here);
}

void timeline_step(const struct tls_step *s, const struct timeline_layout *lay, timeline_put_fn put,
		   void *ctx)
{
	char t[32], when[48], name[64];

	snprintf(t, sizeof(t), "+%.1f", s->t_ms);
	snprintf(when, sizeof(when), "%9s ms", t);
	snprintf(name, sizeof(name), "%-*s", lay->name_width, names_step(s->type));
	if (*lay->indent)
		put(ctx, TL_SPACE, s, lay->indent);
	put(ctx, TL_TIME, s, when);
	put(ctx, TL_SPACE, s, "  ");
	put(ctx, TL_ARROW, s, s->dir == TLS_DIR_SENT ? lay->sent : lay->received);
	put(ctx, TL_SPACE, s, lay->arrow_gap);
	put(ctx, TL_NAME, s, name);
	if (lay->mark_first)
		put_mark(s, lay, put, ctx);
	if (s->detail || lay->gap_without_detail) {
		put(ctx, TL_SPACE, s, lay->detail_gap);
		put(ctx, TL_DETAIL, s, s->detail ? s->detail : "");
	}
	if (!lay->mark_first)
		put_mark(s, lay, put, ctx);
}
