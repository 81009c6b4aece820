/*
 * server_check - one note of "postern check" (see server_check.h).
 */
#include "server/server_check.h"

#include <stdio.h>

void
server_note(const struct server_checker *chk, enum server_note_level level,
            const char *ns, const char *param, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    if (chk == NULL || chk->fn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    chk->fn(chk->ctx, level, ns, param, text);
}
