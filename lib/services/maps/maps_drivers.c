/*
 * maps_drivers - the one list of table types that have their own
 *	struct maps_driver (maps_int.h). A new type: a maps_<type>.c file
 *	with its driver, and one line here.
 */
#include <string.h>

#include "maps/maps_dbfile.h"
#include "maps/maps_int.h"
#include "maps/maps_sql_int.h"

extern const struct maps_driver maps_drv_unionmap, maps_drv_pipemap,
    maps_drv_randmap, maps_drv_fail, maps_drv_environ, maps_drv_socketmap,
    maps_drv_tcp;
extern const struct maps_driver maps_driver_ldap;
extern const struct maps_driver maps_driver_memcache;

static const struct maps_driver *const drivers[] = {
    &maps_pgsql_driver,  /* maps_pgsql.c */
    &maps_mysql_driver,  /* maps_mysql.c */
    &maps_sqlite_driver, /* maps_sqlite.c */
    NULL, /* placeholder until the first driver: keeps the array valid */
    &maps_drv_unionmap,
    &maps_drv_pipemap,
    &maps_drv_randmap,
    &maps_drv_fail,
    &maps_drv_environ,
    &maps_drv_socketmap,
    &maps_drv_tcp,
    &maps_driver_ldap,
    &maps_driver_memcache,
    &maps_hash_driver,  /* maps_db.c, maps_dbfile.c */
    &maps_btree_driver, /* maps_db.c, maps_dbfile.c */
    &maps_lmdb_driver,  /* maps_lmdb.c, maps_dbfile.c */
    &maps_cdb_driver,   /* maps_cdb.c, maps_dbfile.c */
};

const struct maps_driver *
maps_driver_of(const char *type)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
        if (drivers[i] && strcmp(drivers[i]->type, type) == 0)
            return drivers[i];
    return NULL;
}
