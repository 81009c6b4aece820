/*
 * fuzz_conf - libFuzzer target for the main.cf and master.cf models.
 *
 * DESCRIPTION
 *	Parses the input as main.cf and as master.cf and checks the two
 *	invariants every input must keep: serialization gives the input
 *	back byte for byte, and every entry lies inside the file with
 *	entries covering it contiguously.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(enum conf_kind kind, const uint8_t *data, size_t size)
{
    struct conf_file *cf =
        conf_file_parse("fuzz.cf", kind, (const char *) data, size);
    struct buf out;
    size_t off = 0;

    buf_init(&out, 0);
    if (conf_file_serialize(cf, &out) < 0 || out.len != size ||
        (size && memcmp(out.data, data, size) != 0))
        abort();
    for (size_t i = 0; i < cf->n; i++) {
        const struct conf_entry *e = &cf->ents[i];

        if (e->off != off || e->off + e->len > size)
            abort();
        off += e->len;
        for (size_t j = 0; j < e->nfields; j++)
            if (e->fields[j].line < e->first_line ||
                e->fields[j].line > e->last_line)
                abort();
    }
    if (off != size)
        abort();
    buf_fini(&out);
    conf_file_free(cf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(CONF_MAIN, data, size);
    check(CONF_MASTER, data, size);
    return 0;
}
