/*
 * postqueue - the set-gid queue control program (lib/daemons/qmgr/qmgr_tool.c).
 *
 * DESCRIPTION
 *	A thin main: installed set-gid setgid_group (mode 2755), it links
 *	the queue listing and control code and the set-gid start-up only.
 *	postqueue -p | -j lists the queue through public/showq, -f and
 *	-s site flush it through public/qmgr.
 */
#include "../setgid_asan.h"
#include "qmgr/qmgr_tool.h"

int
main(int argc, char **argv)
{
    return qmgr_postqueue_main(argc, argv);
}
