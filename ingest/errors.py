"""Errors that are the user's to fix: the CLI prints them as one line, no traceback."""


class LumbarError(Exception):
    """A user mistake (bad input, wrong path, busy warehouse). The message is the whole story."""
