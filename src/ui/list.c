/* Selection, scrolling and paging of a list (list.h). */
#include "list.h"

void list_clamp(struct ui_list *l, int count)
{
	if (l->sel >= count)
		l->sel = count - 1;
	if (l->sel < 0)
		l->sel = 0;
}

bool list_key(struct ui_list *l, enum ui_action act, int count, int page)
{
	/* Top and bottom as a move past either end: the clamp below settles them. */
	static const struct {
		enum ui_action act;
		int sign;
		bool by_page, to_end;
	} moves[] = {
		{ACT_UP, -1, false, false},  {ACT_DOWN, 1, false, false},
		{ACT_PGUP, -1, true, false}, {ACT_PGDN, 1, true, false},
		{ACT_TOP, -1, false, true},  {ACT_BOTTOM, 1, false, true},
	};

	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		if (moves[i].act != act)
			continue;
		long step = moves[i].to_end ? (long)count : moves[i].by_page ? page : 1;
		long v = (long)l->sel + moves[i].sign * step;
		l->sel = v > count ? count : v < -1 ? -1 : (int)v;
		list_clamp(l, count);
		return true;
	}
	return false;
}

bool list_scroll_key(struct ui_list *l, enum ui_action act, int lines, int page)
{
	/* The first lines that can show are the items of a list of their own. */
	struct ui_list top = {.sel = l->scroll};
	int last = lines - page;
	if (!list_key(&top, act, (last > 0 ? last : 0) + 1, page))
		return false;
	l->scroll = top.sel;
	return true;
}

void list_draw(struct ui_list *l, int y, int x, int h, int w, const struct ui_lines *L, int tag,
	       bool focused)
{
	term_list(y, x, h, w, L, tag, focused, &l->scroll);
}
