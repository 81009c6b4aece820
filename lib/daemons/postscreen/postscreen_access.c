/*
 * postscreen_access - postscreen_access_list (Postfix's
 * postscreen_access.c): permit_mynetworks, and type:table lookups of the
 * client address whose result is permit, reject or dunno; the first
 * permit or reject decides.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "maps/maps.h"
#include "postscreen/postscreen_int.h"

#define MAX_ITEMS 32

struct ps_accessl {
    int n;
    struct maps_match *mynet[MAX_ITEMS]; /* permit_mynetworks, or NULL */
    struct maps *table[MAX_ITEMS];
    enum ps_access fixed[MAX_ITEMS]; /* permit / reject / dunno words */
};

struct ps_accessl *
postscreen_access_new(struct server *srv)
{
    struct ps_accessl *a = mem_calloc(1, sizeof(*a));
    char *v = server_param(srv, "postscreen_access_list");
    struct strv items;

    strv_init(&items);
    server_split(v, &items);
    mem_free(v);
    for (size_t i = 0; i < items.n && a->n < MAX_ITEMS; i++) {
        const char *it = items.v[i];

        if (strcasecmp(it, "permit_mynetworks") == 0) {
            char *nets = server_param(srv, "mynetworks");

            a->mynet[a->n++] =
                maps_match_new("mynetworks", nets, MAPS_MATCH_ADDR, 0);
            mem_free(nets);
        } else if (strcasecmp(it, "permit") == 0) {
            a->fixed[a->n++] = PS_ACCESS_PERMIT;
        } else if (strcasecmp(it, "reject") == 0) {
            a->fixed[a->n++] = PS_ACCESS_REJECT;
        } else if (maps_is_table(it)) {
            a->table[a->n++] = maps_new("postscreen_access_list", it, 0);
        } else {
            log_warn("postscreen_access_list: unknown element \"%s\": "
                     "ignored (permit_mynetworks, permit, reject, dunno "
                     "or type:table)",
                     it);
        }
    }
    strv_fini(&items);
    return a;
}

/* verdict - the first word of a table result */
static enum ps_access
verdict(const char *value, int *known)
{
    size_t n = strcspn(value, " \t");

    *known = 1;
    if (n == 6 && strncasecmp(value, "permit", 6) == 0)
        return PS_ACCESS_PERMIT;
    if (n == 6 && strncasecmp(value, "reject", 6) == 0)
        return PS_ACCESS_REJECT;
    if (n == 5 && strncasecmp(value, "dunno", 5) == 0)
        return PS_ACCESS_DUNNO;
    *known = 0;
    return PS_ACCESS_DUNNO;
}

enum ps_access
postscreen_access_check(struct ps_accessl *a, const char *addr)
{
    for (int i = 0; i < a->n; i++) {
        const char *value;
        enum maps_result r;
        int known;
        enum ps_access v;

        if (a->mynet[i]) {
            if (maps_match_addr(a->mynet[i], addr) == 1)
                return PS_ACCESS_PERMIT;
            continue;
        }
        if (a->table[i] == NULL) {
            if (a->fixed[i] != PS_ACCESS_DUNNO)
                return a->fixed[i];
            continue;
        }
        r = maps_find(a->table[i], addr, &value);
        if (r == MAPS_ERROR) {
            /* Postfix: a table error is a "dunno" with a warning */
            log_warn("postscreen_access_list: %s: table lookup error for "
                     "%s",
                     maps_error(a->table[i]), addr);
            continue;
        }
        if (r != MAPS_FOUND)
            continue;
        v = verdict(value, &known);
        if (!known) {
            log_warn("postscreen_access_list: unknown result \"%s\" for "
                     "%s: dunno",
                     value, addr);
            continue;
        }
        if (v != PS_ACCESS_DUNNO)
            return v;
    }
    return PS_ACCESS_DUNNO;
}
