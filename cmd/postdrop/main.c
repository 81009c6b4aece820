/*
 * postdrop - the set-gid mail posting program (see
 *lib/daemons/pickup/postdrop.c).
 *
 * DESCRIPTION
 *	A thin main: installed set-gid setgid_group (mode 2755), it links
 *	only the maildrop file format and the set-gid start-up, never the
 *	rest of postern (which must never run set-gid).
 */
#include "../setgid_asan.h"
#include "pickup/pickup.h"

int
main(int argc, char **argv)
{
    return pickup_postdrop_main(argc, argv);
}
