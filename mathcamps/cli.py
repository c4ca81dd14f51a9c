"""How every command line ends: a user's mistake as one `error: ...` line, an internal error with its traceback.

Each CLI's `__main__` block is `run_cli(main)` (or `run_cli(lambda: auto_cli(main))`):

    if __name__ == "__main__":
        run_cli(main)

A user's mistake is a `UserError`, a `ValueError`, or a path error (`PATH_ERRORS`: a file that is missing, a
folder where a file should be, ...): the house style checks user input with exceptions that name the bad
value, so their message is the whole story. Anything else (a `TypeError`, `KeyError`, `RuntimeError`, ...) is a
bug or a failure of the machine, and keeps its traceback. `MATHCAMPS_TRACEBACK=1` shows the traceback always.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

USER_ERROR_EXIT = 2
# A path the user named that is not there, or not what it should be. Other OSErrors (a full disk, a dead
# network) are the machine's, and keep their traceback.
PATH_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError, FileExistsError)


class UserError(ValueError):
    """A mistake in what the user gave (a value, a file, a name); its message says what and where."""


def user_message(error: BaseException) -> str | None:
    """The one line to show for `error` when it is a user's mistake, or None when it is not.

    >>> user_message(UserError("data.per_standard must be >= 1, got 0"))
    'data.per_standard must be >= 1, got 0'
    >>> user_message(FileNotFoundError(2, "No such file or directory", "x.jsonl"))
    "[Errno 2] No such file or directory: 'x.jsonl'"
    >>> user_message(KeyError("id")) is None
    True
    """
    if isinstance(error, (ValueError, *PATH_ERRORS)):
        return one_line(str(error) or type(error).__name__)
    return None


def one_line(text: str, limit: int = 500) -> str:
    """`text` folded onto one line and cut to `limit` characters, so that no value floods the terminal.

    >>> one_line("a\\n  b")
    'a b'
    >>> one_line("x" * 10, limit=4)
    'xxxx... (10 characters)'
    """
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def run_cli(main: Callable[[], Any]) -> NoReturn:
    """Run `main` and exit: with its return value when that is an int (0 otherwise), or with status 2 and one
    line on stderr when it raised a user's mistake. Other exceptions propagate with their traceback."""
    try:
        status = main()
    except Exception as error:
        message = user_message(error)
        if message is None or os.environ.get("MATHCAMPS_TRACEBACK"):
            raise
        print(f"error: {message}", file=sys.stderr)
        sys.exit(USER_ERROR_EXIT)
    sys.exit(status if isinstance(status, int) else 0)
