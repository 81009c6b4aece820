/*
 * ugid - identity changes that never keep supplementary groups.
 *
 * DESCRIPTION
 *	See util.h. Both functions leave the group list holding gid alone,
 *	as Postfix's set_ugid() and set_eugid() do: a process started from
 *	a root shell (sudo: groups root, adm, ...) must not hand those
 *	groups to a command or a file delivery made as a user. The list
 *	is set while the effective uid is 0, i.e. before seteuid/setuid.
 */
#define _GNU_SOURCE 1 /* setgroups */
#include <sys/types.h>

#include <grp.h>
#include <unistd.h>

#include "util/util.h"

int
util_set_ugid(uid_t uid, gid_t gid)
{
    if (geteuid() != 0 && seteuid(0) < 0)
        return -1;
    if (setgid(gid) < 0 || setgroups(1, &gid) < 0 || setuid(uid) < 0)
        return -1;
    return 0;
}

int
util_set_eugid(uid_t uid, gid_t gid)
{
    if (geteuid() != 0 && seteuid(0) < 0)
        return -1;
    if (setegid(gid) < 0 || setgroups(1, &gid) < 0)
        return -1;
    if (uid != 0 && seteuid(uid) < 0)
        return -1;
    return 0;
}
