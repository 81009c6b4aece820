/*
 * maps_drivers - the one list of table types that have their own
 *	struct maps_driver (maps_int.h). A new type: a maps_<type>.c file
 *	with its driver, and one line here.
 */
#include <string.h>

#include "maps/maps_int.h"
#include "maps/maps_sql_int.h"

static const struct maps_driver *const drivers[] = {
    &maps_pgsql_driver,  /* maps_pgsql.c */
    &maps_mysql_driver,  /* maps_mysql.c */
    &maps_sqlite_driver, /* maps_sqlite.c */
    NULL, /* placeholder until the first driver: keeps the array valid */
};

const struct maps_driver *
maps_driver_of(const char *type)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
        if (drivers[i] && strcmp(drivers[i]->type, type) == 0)
            return drivers[i];
    return NULL;
}
