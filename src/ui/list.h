/* A list on the screen (htop's Panel_onKey): which item is selected, which line shows first,
 * and what the movement keys do to them, in one place for the connection, listen, home,
 * picker and text screens. Items are the lines' tags (lines.h); an item may span lines. */
#ifndef TLSSCOPE_UI_LIST_H
#define TLSSCOPE_UI_LIST_H

#include <stdbool.h>

#include "lines.h"
#include "screen.h"

struct ui_list {
	int sel;    /* the selected item, 0..count-1 */
	int scroll; /* the first line shown */
};

/* A movement action (up, down, a page of page items up or down, top, bottom) moves the
 * selection, which stays within 0..count-1 (0 when empty); returns true. Any other action
 * changes nothing and returns false. */
bool list_key(struct ui_list *l, enum ui_action act, int count, int page);

/* Brings the selection back into 0..count-1 (0 when empty), after the items changed. */
void list_clamp(struct ui_list *l, int count);

/* A view that only scrolls (a text): the movement keys move its first line, which stays
 * within 0..lines-page. Returns as list_key. */
bool list_scroll_key(struct ui_list *l, enum ui_action act, int lines, int page);

/* Draws L in h rows of w columns at y, x, scrolled so that the lines tagged tag (the
 * selected item, or -1 for none) are in view, and marked when focused. */
void list_draw(struct ui_list *l, int y, int x, int h, int w, const struct ui_lines *L, int tag,
	       bool focused);

#endif
