"""User errors: bad input that the CLI reports in one line, without a traceback."""


class UserError(Exception):
    """Base class of errors caused by the user's input (parameters, files, configs)."""
