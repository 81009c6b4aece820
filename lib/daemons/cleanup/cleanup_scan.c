/*
 * cleanup_scan - one pass over a message's header block: where it ends
 * (and so where cleanup inserts the headers it adds), which of
 * Message-ID:, Date:, From:, To:/Cc:/Bcc: and Resent-* are present, the
 * Message-ID value for the log, and the Bcc: headers to drop.
 */
#include <string.h>
#include <strings.h>

#include "cleanup/cleanup_int.h"

void
cleanup_scan_headers(const char *p, size_t len, struct hdrs *h, int drop_bcc)
{
    size_t pos = 0;
    int in_hdr = 0, dropping = 0;

    memset(h, 0, sizeof(*h));
    while (pos < len) {
        const char *nl = memchr(p + pos, '\n', len - pos);
        size_t end = nl ? (size_t) (nl - p) + 1 : len;
        size_t ll = end - pos;
        const char *l = p + pos;

        if (ll == 1 && l[0] == '\n') { /* blank line ends the headers */
            h->ins = pos;
            h->end = end;
            return;
        }
        if ((l[0] == ' ' || l[0] == '\t') && in_hdr) {
            if (dropping && h->ndrop > 0)
                h->drop[h->ndrop - 1][1] = end;
            pos = end;
            continue;
        }
        {
            size_t k = 0;

            while (k < ll && l[k] > ' ' && l[k] < 127 && l[k] != ':')
                k++;
            if (k == 0 || k >= ll || l[k] != ':') {
                /* not a header: the body starts here */
                h->ins = h->end = pos;
                return;
            }
            in_hdr = 1;
            dropping = 0;
#define IS(name) (k == sizeof(name) - 1 && strncasecmp(l, name, k) == 0)
            if (IS("message-id")) {
                size_t vl = ll - k - 1;
                const char *v = l + k + 1;

                h->msgid = 1;
                while (vl && (*v == ' ' || *v == '\t')) {
                    v++;
                    vl--;
                }
                while (vl && (v[vl - 1] == '\n' || v[vl - 1] == ' '))
                    vl--;
                if (vl >= sizeof(h->msgid_val))
                    vl = sizeof(h->msgid_val) - 1;
                memcpy(h->msgid_val, v, vl);
                h->msgid_val[vl] = 0;
            } else if (IS("date"))
                h->date = 1;
            else if (IS("from"))
                h->from = 1;
            else if (IS("to") || IS("cc") || IS("bcc"))
                h->to = 1;
            if (k > 7 && strncasecmp(l, "resent-", 7) == 0)
                h->resent = 1;
            if (drop_bcc && IS("bcc") && h->ndrop < 16) {
                h->drop[h->ndrop][0] = pos;
                h->drop[h->ndrop][1] = end;
                h->ndrop++;
                dropping = 1;
            }
#undef IS
        }
        pos = end;
    }
    h->ins = h->end = len;
}
