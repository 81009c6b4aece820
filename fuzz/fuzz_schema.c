/*
 * fuzz_schema - libFuzzer target for the schema YAML parser.
 *
 * DESCRIPTION
 *	Feeds the input to tools/schemagen's parser and whole-schema checks
 *	(sg_parse, sg_check) and, when the input is a valid schema, to the
 *	C emitter writing to /dev/null. Link with schemagen_core (defined in
 *	tools/CMakeLists.txt).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "schemagen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    struct sg_schema sc;

    if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
        return 0;
    sg_schema_init(&sc);
    if (sg_parse(&sc, "fuzz.yaml", (const char *) data, size) == 0 &&
        sg_check(&sc) == 0)
        (void) sg_emit(&sc, devnull);
    sg_schema_fini(&sc);
    return 0;
}
