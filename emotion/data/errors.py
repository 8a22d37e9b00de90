"""One error type for bad input, so entry points can print it as a single line."""


class DataError(ValueError):
    """Bad input data; the message names the file and line (or field) at fault."""
