/*
 * postdrop - the set-gid mail posting program (see lib/pickup/postdrop.c).
 *
 * DESCRIPTION
 *	A thin main: installed set-gid setgid_group (mode 2755), it links
 *	only the maildrop file format and the set-gid start-up, never the
 *	rest of postern (which must never run set-gid).
 */
#include "pickup/pickup.h"

/*
 * In a sanitizer build: LeakSanitizer stops the process's threads with
 * ptrace when it exits, which a non-dumpable process refuses, and the
 * set-gid start-up makes this one non-dumpable (lib/pickup/pickup_priv.c)
 * and clears the environment that would carry ASAN_OPTIONS. Leaks in
 * this code are found by the unit tests and fuzzers instead.
 */
#if defined(__SANITIZE_ADDRESS__)
#define POSTERN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POSTERN_ASAN 1
#endif
#endif
#ifdef POSTERN_ASAN
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

int
main(int argc, char **argv)
{
    return pickup_postdrop_main(argc, argv);
}
