/*
 * maps_check - what "postern check" can know about a table before a
 * daemon opens it.
 *
 * DESCRIPTION
 *	A table of a type Postern cannot open finds nothing at run time
 *	(one warning in the maillog), and a missing file fails at first
 *	use, after the mail was accepted; both are configuration errors
 *	that check reports with the parameter. The entries of a table are
 *	listed for checks of their values (the transports of
 *	transport_maps), with the line of the file each came from.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps_dbfile.h"
#include "maps/maps_int.h"

/* inner - the type and name of item with proxy: stripped; 0, or -1 when
 * item is not "type:name" */
static int
inner(const char *item, char *type, size_t tlen, const char **name)
{
    const char *colon = strchr(item, ':');

    for (;;) {
        if (colon == NULL || colon == item || (size_t) (colon - item) >= tlen)
            return -1;
        snprintf(type, tlen, "%.*s", (int) (colon - item), item);
        if (strcmp(type, "proxy") != 0)
            break;
        item = colon + 1;
        colon = strchr(item, ':');
    }
    *name = colon + 1;
    return 0;
}

/* can_read - 0 when path can be opened for reading, else -1 with errno */
static int
can_read(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    (void) close(fd);
    return 0;
}

int
maps_check_table(const char *item, char *why, size_t len)
{
    char type[64];
    const char *name;

    if (inner(item, type, sizeof(type), &name) < 0) {
        /* Postfix's dict_open words */
        snprintf(why, len,
                 "open dictionary: expecting \"type:name\" form "
                 "instead of \"%s\"",
                 item);
        return -1;
    }
    switch (maps_kind_of(type)) {
    case K_NONE:
        snprintf(why, len,
                 "table %s: unsupported dictionary type: %s "
                 "(Postern cannot open it; it would find nothing)",
                 item, type);
        return -1;
    case K_TEXT:
    case K_REGEXP:
    case K_CIDR:
        /* relative names are relative to the daemon's directory (the
         * queue); only absolute ones can be judged here */
        if (name[0] == '/' && can_read(name) < 0) {
            snprintf(why, len, "table %s: open %s: %s", item, name,
                     strerror(errno));
            return -1;
        }
        return 0;
    case K_UNIX:
        if (!maps_unix_known(name)) {
            snprintf(why, len, "table %s: unsupported table unix:%s", item,
                     name);
            return -1;
        }
        return 0;
    case K_INLINE: {
        struct htab *h = htab_new(16);
        char r[600];
        int rc = maps_inline_load(name, 0, h, r, sizeof(r));

        htab_free(h, mem_free);
        if (rc < 0)
            snprintf(why, len, "table %s: %s", item, r);
        return rc;
    }
    case K_DRIVER: {
        const struct maps_driver *d = maps_driver_of(type);
        char r[600];

        if (d->check) {
            if (d->check(name, r, sizeof(r)) == 0)
                return 0;
            snprintf(why, len, "table %s: %s", item, r);
            return -1;
        }
        if ((d->flags & MAPS_DRV_FILE) && name[0] == '/' &&
            can_read(name) < 0) {
            snprintf(why, len, "table %s: open %s: %s", item, name,
                     strerror(errno));
            return -1;
        }
        return 0;
    }
    case K_STATIC: {
        char r[600], *v = maps_static_value(name, r, sizeof(r));

        if (v == NULL) {
            snprintf(why, len, "table %s: %s", item, r);
            return -1;
        }
        mem_free(v);
        return 0;
    }
    case K_NIS:
        return 0;
    }
    return 0;
}

struct walk_ctx {
    maps_walk_fn *fn;
    void *ctx;
};

static void
walk_entry(void *ctx, char *key, const char *value, int line)
{
    struct walk_ctx *wc = ctx;

    wc->fn(wc->ctx, key, value, line);
}

/* walk_lines - regexp: (pattern as key) and cidr: (network as key) */
static int
walk_lines(const char *path, int rx, maps_walk_fn *fn, void *ctx)
{
    char *text, *p, *nl;
    size_t len;
    int line = 0;

    if (util_read_file(path, (size_t) 1 << 26, &text, &len) < 0)
        return -1;
    for (p = text; p && *p; p = nl) {
        char *l, *key, *value;
        int cflags, neg;

        line++;
        if ((nl = strchr(p, '\n')) != NULL)
            *nl++ = 0;
        l = str_trim(p);
        if (rx) {
            if (maps_rx_line(l, &key, &cflags, &neg, &value))
                fn(ctx, key, value, line);
            continue;
        }
        if (*l == 0 || *l == '#')
            continue;
        for (value = l; *value && !isspace((unsigned char) *value); value++)
            ;
        if (*value)
            *value++ = 0;
        fn(ctx, l, str_trim(value), line);
    }
    mem_free(text);
    return 0;
}

int
maps_walk(const char *item, unsigned flags, maps_walk_fn *fn, void *ctx)
{
    char type[64];
    const char *name;
    struct walk_ctx wc = {fn, ctx};

    if (inner(item, type, sizeof(type), &name) < 0)
        return -1;
    /* hash:, lmdb:, cdb: ... : the source file, which postmap reads */
    if (maps_dbops_of(type))
        return maps_parse_source(name, (flags & MAPS_F_ALIAS) != 0, walk_entry,
                                 NULL, &wc);
    switch (maps_kind_of(type)) {
    case K_TEXT:
        if (!(flags & MAPS_F_ALIAS) && strcmp(type, "texthash") == 0)
            return maps_thash_parse(name, flags, 0, walk_entry, &wc);
        return maps_parse_source(name, (flags & MAPS_F_ALIAS) != 0, walk_entry,
                                 NULL, &wc);
    case K_REGEXP:
        return walk_lines(name, 1, fn, ctx);
    case K_CIDR:
        return walk_lines(name, 0, fn, ctx);
    case K_STATIC:
        fn(ctx, "*", name, 0);
        return 0;
    case K_INLINE: {
        struct htab *h = htab_new(16);
        int rc = maps_inline_parse(name, flags, h);

        for (size_t i = 0; rc == 0 && i < htab_count(h); i++)
            fn(ctx, htab_key(h, i), htab_value(h, i), 0);
        htab_free(h, mem_free);
        return rc;
    }
    default:
        return -1;
    }
}
