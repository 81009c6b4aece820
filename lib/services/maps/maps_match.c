/*
 * maps_match - match lists: domain, host and network lists.
 *
 * DESCRIPTION
 *	The lists of parameters such as mydestination, relay_domains or
 *	mynetworks: domain names, addresses and networks, "type:table"
 *	lookups, /file/name entries read on load (recursively), and !negation.
 *	The first entry that matches decides, as in Postfix's match_list.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "maps/maps.h"
#include "maps/maps_int.h"

struct mentry {
    int negate;
    char *pattern;      /* domain or net; the path of an unavailable file */
    struct maps *table; /* type:table entry */
    char *unavail;      /* why /file/name could not be read, or NULL */
};

struct maps_match {
    char *title;
    int kind;
    int parent;
    struct mentry *e;
    size_t n;
};

/* maps_is_table - "type:name" (not an address: those need [] for IPv6) */
int
maps_is_table(const char *item)
{
    const char *c = strchr(item, ':');

    if (c == NULL || c == item || item[0] == '[')
        return 0;
    for (const char *p = item; p < c; p++)
        if (!islower((unsigned char) *p))
            return 0;
    return 1;
}

static void add_items(struct maps_match *ml, const char *text, int neg,
                      int depth);

/* add_entry - one more entry; the caller fills it in */
static struct mentry *
add_entry(struct maps_match *ml, int neg)
{
    struct mentry *e;

    ml->e = mem_realloc(ml->e, (ml->n + 1) * sizeof(*ml->e));
    e = &ml->e[ml->n++];
    memset(e, 0, sizeof(*e));
    e->negate = neg;
    return e;
}

/*
 * add_file - /file/name in a match list, as Postfix's match_list_parse():
 * the file's logical lines (comment and blank lines skipped, a line that
 * starts with white space continues the one before) are items as in the
 * parameter value, each negated when "!" preceded /file/name. A file
 * that cannot be read is not skipped (that would drop networks or
 * domains without a word): it becomes an entry whose every lookup fails
 * (Postfix's "non-existent" surrogate table), a temporary error, logged
 * in Postfix's words when the list is built and at each such lookup.
 */
static void
add_file(struct maps_match *ml, const char *path, int neg, int depth)
{
    char *text, *line, *save = NULL;
    size_t len;
    struct buf logical;
    struct mentry *e;

    if (depth > 5 || util_read_file(path, (size_t) 1 << 24, &text, &len) < 0) {
        struct buf why;

        buf_init(&why, 0);
        buf_printf(&why, "open file %s: %s", path,
                   depth > 5 ? "too many nested files" : strerror(errno));
        log_error("%s", buf_str(&why));
        e = add_entry(ml, neg);
        e->unavail = buf_steal(&why);
        e->pattern = mem_strdup(path);
        return;
    }
    buf_init(&logical, 0);
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        const char *p = line + strspn(line, " \t\r");

        if (*p == '#' || *p == 0)
            continue;
        if (p == line && logical.len) {
            add_items(ml, buf_str(&logical), neg, depth + 1);
            buf_truncate(&logical, 0);
        }
        (void) buf_printf(&logical, "%s ", line);
    }
    if (logical.len)
        add_items(ml, buf_str(&logical), neg, depth + 1);
    buf_fini(&logical);
    mem_free(text);
}

static void
match_add(struct maps_match *ml, const char *item, int neg, int depth)
{
    struct mentry *e;

    while (*item == '!') {
        neg = !neg;
        item++;
    }
    if (*item == '/') {
        add_file(ml, item, neg, depth);
        return;
    }
    e = add_entry(ml, neg);
    if (maps_is_table(item))
        e->table = maps_new(ml->title, item, 0);
    else {
        char *p = mem_strdup(item);

        maps_fold(p);
        e->pattern = p;
    }
}

/*
 * add_items - the items of a list value (or of one logical line of a
 * /file/name): split on commas and white space, keeping {...} together;
 * an item that starts with "#" ends the text, with Postfix's warning.
 */
static void
add_items(struct maps_match *ml, const char *text, int neg, int depth)
{
    const char *p = text;

    while (*p) {
        const char *start;
        char *item;
        int depth_b = 0;

        while (*p == ',' || isspace((unsigned char) *p))
            p++;
        if (!*p)
            break;
        start = p;
        while (*p &&
               (depth_b > 0 || (*p != ',' && !isspace((unsigned char) *p)))) {
            depth_b += *p == '{';
            depth_b -= depth_b > 0 && *p == '}';
            p++;
        }
        item = mem_strndup(start, (size_t) (p - start));
        if (*item == '#') {
            log_warn("%s: #comment after other text is not supported: "
                     "%s %.20s...",
                     ml->title, item, p);
            mem_free(item);
            break;
        }
        match_add(ml, item, neg, depth);
        mem_free(item);
    }
}

struct maps_match *
maps_match_new(const char *title, const char *spec, int kind, int parent)
{
    struct maps_match *ml = mem_calloc(1, sizeof(*ml));

    ml->title = mem_strdup(title);
    ml->kind = kind;
    ml->parent = parent;
    add_items(ml, spec ? spec : "", 0, 0);
    return ml;
}

/* unavailable - the lookup of an unreadable /file/name entry: fail */
static int
unavailable(const struct maps_match *ml, const struct mentry *e)
{
    log_warn("non-existent:%s is unavailable. %s", e->pattern, e->unavail);
    log_warn("%s: non-existent:%s: table lookup problem", ml->title,
             e->pattern);
    return -1;
}

int
maps_match_preload(struct maps_match *ml)
{
    int rc = 0;

    for (size_t i = 0; i < ml->n; i++)
        if (ml->e[i].table && maps_preload(ml->e[i].table) < 0)
            rc = -1;
    return rc;
}

void
maps_match_free(struct maps_match *ml)
{
    if (ml == NULL)
        return;
    for (size_t i = 0; i < ml->n; i++) {
        mem_free(ml->e[i].pattern);
        mem_free(ml->e[i].unavail);
        maps_free(ml->e[i].table);
    }
    mem_free(ml->e);
    mem_free(ml->title);
    mem_free(ml);
}

static int
domain_hit(const char *pat, const char *dom, int parent)
{
    size_t pl = strlen(pat), dl = strlen(dom);

    if (pat[0] == '.')
        return dl > pl && strcasecmp(dom + dl - pl, pat) == 0;
    if (strcasecmp(pat, dom) == 0)
        return 1;
    return parent && dl > pl && dom[dl - pl - 1] == '.' &&
           strcasecmp(dom + dl - pl, pat) == 0;
}

int
maps_match_domain(struct maps_match *ml, const char *domain)
{
    for (size_t i = 0; i < ml->n; i++) {
        struct mentry *e = &ml->e[i];
        int hit = 0;

        if (e->unavail) {
            return unavailable(ml, e);
        } else if (e->table) {
            const char *v;
            const char *d = domain;

            /* the name, then (parent matching) each parent domain */
            for (;;) {
                enum maps_result r = maps_find(e->table, d, &v);

                if (r == MAPS_ERROR)
                    return -1;
                if (r == MAPS_FOUND) {
                    hit = 1;
                    break;
                }
                if (!ml->parent || (d = strchr(d + 1, '.')) == NULL)
                    break;
                {
                    char dot[512];

                    snprintf(dot, sizeof(dot), "%s", d);
                    if (maps_find(e->table, dot, &v) == MAPS_FOUND) {
                        hit = 1;
                        break;
                    }
                    d++;
                }
            }
        } else {
            hit = domain_hit(e->pattern, domain, ml->parent);
        }
        if (hit)
            return !e->negate;
    }
    return 0;
}

/* parse_addr - numeric address into 16 bytes; family or -1 */
static int
parse_addr(const char *s, unsigned char out[16])
{
    char tmp[128];
    size_t n = strlen(s);

    if (n >= sizeof(tmp))
        return -1;
    if (s[0] == '[' && n > 2 && s[n - 1] == ']') {
        memcpy(tmp, s + 1, n - 2);
        tmp[n - 2] = 0;
    } else {
        memcpy(tmp, s, n + 1);
    }
    if (inet_pton(AF_INET, tmp, out) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, tmp, out) == 1) {
        /* v4-mapped: compare as v4 */
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                                 0, 0, 0, 0, 0xff, 0xff};

        if (memcmp(out, mapped, 12) == 0) {
            memmove(out, out + 12, 4);
            return AF_INET;
        }
        return AF_INET6;
    }
    return -1;
}

int
maps_addr_in_net(const char *addr, const char *net)
{
    unsigned char a[16], n[16];
    char tmp[128];
    const char *slash;
    int fa, fn, bits, len;

    fa = parse_addr(addr, a);
    if (fa < 0)
        return -1;
    /* "[2001:db8::]/32" or "2001:db8::/32" or "192.0.2.0/24" */
    slash = strrchr(net, '/');
    if (slash) {
        size_t l = (size_t) (slash - net);

        if (l >= sizeof(tmp))
            return -1;
        memcpy(tmp, net, l);
        tmp[l] = 0;
        /* a mask that is not all digits or too long is no network:
         * atoi() made "10.0.0.0/x" a /0 that matched every client */
        char *end;
        long b;

        errno = 0;
        b = strtol(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || b < 0 || b > 128 ||
            !isdigit((unsigned char) slash[1]))
            return -1;
        bits = (int) b;
    } else {
        snprintf(tmp, sizeof(tmp), "%s", net);
        bits = -1;
    }
    fn = parse_addr(tmp, n);
    if (fn < 0)
        return -1;
    if (fa != fn)
        return 0;
    len = fa == AF_INET ? 32 : 128;
    if (bits > len)
        return -1;
    if (bits < 0)
        bits = len;
    for (int i = 0; i < bits / 8; i++)
        if (a[i] != n[i])
            return 0;
    if (bits % 8) {
        unsigned char mask = (unsigned char) (0xff << (8 - bits % 8));

        if ((a[bits / 8] & mask) != (n[bits / 8] & mask))
            return 0;
    }
    return 1;
}

int
maps_match_addr(struct maps_match *ml, const char *addr)
{
    for (size_t i = 0; i < ml->n; i++) {
        struct mentry *e = &ml->e[i];
        int hit = 0;

        if (e->unavail) {
            return unavailable(ml, e);
        } else if (e->table) {
            const char *v;
            enum maps_result r = maps_find(e->table, addr, &v);

            if (r == MAPS_ERROR)
                return -1;
            hit = r == MAPS_FOUND;
        } else {
            hit = maps_addr_in_net(addr, e->pattern) == 1;
        }
        if (hit)
            return !e->negate;
    }
    return 0;
}
