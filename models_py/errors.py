"""The one exception type the trainers raise for user mistakes.

It is a `LumbarError`, so the CLI catches it and prints its message as a single line; anything
else is a bug and keeps its traceback.
"""

from ingest.errors import LumbarError


class UserInputError(LumbarError, ValueError):
    """A problem the user can fix (missing mart, bad option, empty cohort); message is one line."""
