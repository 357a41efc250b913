"""The one error a user's mistake raises.

Whatever a user gives sharesim (a scenario file, a strategies file, an
observed-data file, a command-line option, an output folder) and it cannot
use becomes an :class:`InputError` whose message names the file, field, line
or option and says what is allowed. The command line prints it as one line
and exits with status 2; anything else that goes wrong is a bug.
"""


class InputError(Exception):
    """Input that sharesim cannot use; the message is meant for the user as is."""
