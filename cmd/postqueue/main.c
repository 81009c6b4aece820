/*
 * postqueue - the set-gid queue control program (lib/qmgr/qmgr_tool.c).
 *
 * DESCRIPTION
 *	A thin main: installed set-gid setgid_group (mode 2755), it links
 *	the queue listing and control code and the set-gid start-up only.
 *	postqueue -p | -j lists the queue through public/showq, -f and
 *	-s site flush it through public/qmgr.
 */
#include "qmgr/qmgr_tool.h"

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
    return qmgr_postqueue_main(argc, argv);
}
