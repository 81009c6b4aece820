/*
 * repl_help - "postern help TOPIC": the manual pages as plain text.
 *
 * DESCRIPTION
 *	The text is docs/man/NAME.1 rendered at build time by tools/mantext,
 *	so it is the same text as the installed manual page.
 */
#include <string.h>

#include "repl/repl.h"
#include "repl/repl_int.h"

const char *const *
repl_help_topic(const char *topic)
{
    if (strncmp(topic, "postern-", 8) == 0)
        topic += 8;
    for (const struct repl_help_page *hp = repl_help_pages; hp->topic; hp++)
        if (strcmp(hp->topic, topic) == 0)
            return hp->lines;
    return NULL;
}

int
repl_help_main(int argc, char **argv)
{
    const char *const *lines;

    if (argc < 2 || (lines = repl_help_topic(argv[1])) == NULL) {
        struct buf topics;

        buf_init(&topics, 0);
        for (const struct repl_help_page *hp = repl_help_pages; hp->topic; hp++)
            buf_printf(&topics, " %s", hp->topic);
        log_msg("postern help", LOG_LEVEL_INFO,
                "no manual page \"%s\"; topics:%s", argc < 2 ? "" : argv[1],
                buf_str(&topics));
        buf_fini(&topics);
        return 2;
    }
    for (; *lines; lines++)
        printf("%s\n", *lines);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        log_msg("postern help", LOG_LEVEL_INFO,
                "write error on standard output");
        return 2;
    }
    return 0;
}
