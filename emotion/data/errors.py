"""One error type for bad input data, so entry points can print it as a single line."""

from emotion.utils.errors import UserError


class DataError(UserError):
    """Bad input data; the message names the file and line (or field) at fault."""
