/* sqlcount.c - SQLite from fatpack's library prefix (t_libraries.sh): runs
 * the SQL asset schema.sql in a memory database and prints what a query
 * gives. */
#include <fatpack.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
print_row(void *unused, int n, char **v, char **names)
{
	(void)unused;
	(void)names;
	for (int i = 0; i < n; i++)
		printf("%s%s", i > 0 ? "|" : "", v[i] != NULL ? v[i] : "NULL");
	putchar('\n');
	return 0;
}

int
main(int argc, char **argv)
{
	const void *sql;
	size_t len;
	char *text, *msg = NULL;
	sqlite3 *db;

	if (argc != 2 || fatpack_get("schema.sql", &sql, &len) != 0) {
		fprintf(stderr, "usage: sqlcount QUERY (with the asset schema.sql)\n");
		return 2;
	}
	if ((text = malloc(len + 1)) == NULL)
		return 1;
	memcpy(text, sql, len);
	text[len] = '\0';
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, argv[1], print_row, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlcount: %s\n", msg != NULL ? msg :
		    sqlite3_errmsg(db));
		return 1;
	}
	printf("sqlite %s\n", sqlite3_libversion());
	sqlite3_close(db);
	free(text);
	return 0;
}
