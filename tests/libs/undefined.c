/* undefined.c - a link that fails on a function of its own, not on a
 * library (t_libraries.sh). */
int no_such_function(void);

int
main(void)
{
	return no_such_function();
}
