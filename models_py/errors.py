"""The one exception type the trainers raise for user mistakes.

The CLI catches `UserInputError` and prints its message as a single line; anything
else is a bug and keeps its traceback.
"""


class UserInputError(ValueError):
    """A problem the user can fix (missing mart, bad option, empty cohort); message is one line."""
