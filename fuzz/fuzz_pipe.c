/*
 * fuzz_pipe - libFuzzer target for the pipe agent's argument expansion,
 * attribute parsing and exit verdicts (lib/daemons/pipe/pipe_argv.c).
 *
 * DESCRIPTION
 *	The input is NUL-separated fields: the first byte picks flags=
 *	letters, then a null_sender/eol value, then the arguments of argv=
 *	(up to 8), then after an empty field the recipients (up to 4, each
 *	"address\toriginal"), then a command output text and a wait status
 *	(last 2 bytes). Everything the master.cf entry and the queue could
 *	hold is fuzzed; the sender, nexthop and client values too.
 *
 *	Checks beyond the sanitizers: the expansion yields one argument per
 *	argument without a recipient macro and one per recipient for the
 *	others (so never fewer than argv has); the verdict is sent, defer or
 *	bounce with a dsn of its class; pipe_quote_local keeps the domain.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"
#include "pipe/pipe_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 24

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char letters[] = "BDFORXhqu.>";
    char *copy, *fields[MAX_FIELDS];
    size_t nf = 0, at = 0;
    char flags[32] = "flags=", eol[80], argv0[300];
    const char *args[16];
    size_t na = 0, k;
    struct pipe_attr a;
    struct pipe_vars v;
    struct deliver_req req;
    struct strv out;
    struct buf why, q;
    char err[300], dsn[16];
    int status, ws;

    if (size < 3)
        return 0;
    copy = malloc(size + 1);
    memcpy(copy, data + 1, size - 3);
    copy[size - 3] = 0;
    ws = data[size - 2] | (data[size - 1] << 8);
    fields[nf++] = copy;
    for (size_t i = 0; i < size - 3 && nf < MAX_FIELDS; i++)
        if (copy[i] == 0)
            fields[nf++] = copy + i + 1;
    /* flags from the first byte's bits */
    k = strlen(flags);
    for (size_t i = 0; i < 8; i++)
        if (data[0] & (1u << i))
            flags[k++] = letters[i % (sizeof(letters) - 1)];
    flags[k] = 0;
    args[na++] = flags;
    args[na++] = "user=nobody";
    snprintf(eol, sizeof(eol), "eol=%.60s", fields[at++]);
    args[na++] = eol;
    if (at >= nf)
        goto out_copy;
    snprintf(argv0, sizeof(argv0), "argv=%.280s", fields[at++]);
    args[na++] = argv0;
    while (at < nf && *fields[at] && na < 12)
        args[na++] = fields[at++];
    args[na] = NULL;
    at++;
    if (pipe_attr_parse(&a, args, -1, -1, "postfix", err, sizeof(err)) < 0) {
        pipe_attr_fini(&a);
        goto out_copy;
    }
    deliver_req_init(&req);
    while (at < nf && req.nrcpt < 4 && *fields[at]) {
        char *tab = strchr(fields[at], '\t');

        if (tab)
            *tab++ = 0;
        deliver_req_add(&req, (uint32_t) req.nrcpt, fields[at], tab ? tab : "",
                        "", 0);
        at++;
    }
    if (req.nrcpt == 0)
        deliver_req_add(&req, 0, "u@example.test", "", "", 0);
    memset(&v, 0, sizeof(v));
    v.sender = "a b@example.org";
    v.nexthop = "Example.TEST";
    v.queue_id = "Q1";
    v.delim = "+-";
    v.client_address = "192.0.2.1";
    snprintf(v.size, sizeof(v.size), "%zu", size);
    strv_init(&out);
    if (pipe_expand_argv(&a, &v, &req, &out, err, sizeof(err)) == 0) {
        size_t nargs = 0;

        for (const char *const *p = a.argv; *p; p++)
            nargs++;
        if (out.n < nargs || out.n > nargs * req.nrcpt)
            abort();
    }
    strv_fini(&out);
    buf_init(&why, 0);
    pipe_exit_reason(ws, a.argv0, at < nf ? fields[at] : "", &status, dsn,
                     &why);
    if (!((status == DELIVER_SENT && dsn[0] == '2') ||
          (status == DELIVER_DEFER && dsn[0] == '4') ||
          (status == DELIVER_BOUNCE && dsn[0] == '5')))
        abort();
    buf_fini(&why);
    buf_init(&q, 0);
    pipe_quote_local(req.rcpt[0].addr, &q);
    {
        const char *d = strrchr(req.rcpt[0].addr, '@');

        if (d && (q.len < strlen(d) || strcmp(q.data + q.len - strlen(d), d)))
            abort();
    }
    buf_fini(&q);
    deliver_req_fini(&req);
    pipe_attr_fini(&a);
out_copy:
    free(copy);
    return 0;
}
