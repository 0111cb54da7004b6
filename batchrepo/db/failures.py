"""What a failure means for the caller: asyncpg's many ways of failing -> one batchrepo class.

asyncpg reports a broken connection as ``ConnectionDoesNotExistError`` (during a statement),
``InterfaceError: connection is closed`` (before sending one), ``InterfaceError: ... released
back to the pool`` (a pool's connection after it broke), the server's own FATAL (57P01 when an
administrator terminates the backend, 25P03 for ``idle_in_transaction_session_timeout``) or an
``OSError``; the real cause often sits on ``__context__`` behind a failed cleanup.
:func:`lost_connection` finds it, :func:`classified` names the class of any database failure,
and :func:`boundary` makes a public operation raise batchrepo errors only:

* ``TransientError`` subclasses: serialization failure (40001), deadlock (40P01), lock not
  available (55P03), cached plan invalid (0A000), connection lost (nothing was committed);
* ``StatementTimeoutError`` / ``QueryCanceledError`` (57014), ``ResponseTimeoutError`` (no answer
  within a client-side bound: asyncpg raised the builtin ``TimeoutError``);
* everything else by sqlstate, as :mod:`batchrepo.db.error_mapping` describes statements.

A caller's cancellation is never translated: it stays ``asyncio.CancelledError``. Neither are
programming errors (``TypeError``, ``ValueError``, ``RuntimeError``): they name the mistake.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import asyncpg
from asyncpg.exceptions._base import DataError as ArgumentEncodingError

from batchrepo import errors

#: sqlstates after which the session is gone: connection exceptions (class 08), the backend
#: terminated or the server shutting down (57P01-57P03), and the session timeouts that close
#: the connection (25P03 idle in transaction, 25P04 transaction_timeout).
_LOST_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "25P03", "25P04"})

#: What asyncpg's ``InterfaceError`` says when the connection under it is gone.
_LOST_MESSAGES = ("connection is closed", "released back to the pool", "connection was closed")

#: Integrity errors; :mod:`batchrepo.db.error_mapping` adds their constraint, columns and rows.
BY_SQLSTATE: dict[str, type[errors.BatchRepoError]] = {
    "23505": errors.UniqueViolationError,
    "23503": errors.ForeignKeyViolationError,
    # restrict_violation: deleting a row that an ON DELETE RESTRICT foreign key still points at
    "23001": errors.ForeignKeyViolationError,
    "23502": errors.NotNullViolationError,
    "23514": errors.CheckViolationError,
}

_TRANSIENT: dict[str, type[errors.TransientError]] = {
    "40001": errors.SerializationFailureError,
    "40P01": errors.DeadlockDetectedError,
    "55P03": errors.LockNotAvailableError,
}


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from or while handling, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _says_lost(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        return state.startswith("08") or state in _LOST_SQLSTATES
    if isinstance(exc, asyncpg.InterfaceError):
        return any(message in str(exc) for message in _LOST_MESSAGES)
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        return True  # the termination notice met a protocol that was between two states
    # TimeoutError is an OSError too, but says nothing about the connection being gone
    return isinstance(exc, OSError) and not isinstance(exc, TimeoutError)


def lost_connection(exc: BaseException) -> BaseException | None:
    """The error that first said the connection is gone, searched along ``exc``'s causes and
    contexts (innermost first: the original), or None when the connection was not lost."""
    for candidate in reversed(_chain(exc)):
        if _says_lost(candidate):
            return candidate
    return None


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def redacted(message: str) -> str:
    """A server message with its quoted values replaced: messages of class 22 and the detail of
    integrity errors quote row values, and error messages end up in logs."""
    return _QUOTED.sub('"…"', message)


def classified(exc: BaseException) -> tuple[type[errors.BatchRepoError], dict[str, Any]] | None:
    """The batchrepo class of a database failure and its fields (``sqlstate``, ``reason``), or
    None for what is not one (a cancellation, a programming error, a batchrepo error)."""
    if isinstance(exc, errors.BatchRepoError) or not isinstance(exc, Exception):
        return None  # a cancellation or an interrupt stays what it is
    lost = lost_connection(exc)
    if lost is not None:
        state = getattr(lost, "sqlstate", None) or "08006"  # connection_failure
        return errors.ConnectionLostError, {"sqlstate": state, "reason": _lost_reason(lost)}
    if isinstance(exc, TimeoutError):
        return errors.ResponseTimeoutError, {
            "reason": "no answer within the client-side timeout (asyncpg's command_timeout)"
        }
    if isinstance(exc, ArgumentEncodingError):
        return errors.DataError, {"reason": "asyncpg could not encode an argument"}
    if isinstance(exc, asyncpg.PostgresError):
        return _by_sqlstate(exc)
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.exceptions.InternalClientError):
        return errors.DatabaseError, {"reason": f"asyncpg: {redacted(str(exc))}"}
    return None


def _lost_reason(lost: BaseException) -> str:
    if isinstance(lost, asyncpg.InterfaceError):
        # asyncpg's words ("cannot call ...: released back to the pool") read as a misuse
        return "the connection was closed (the server ended it, or the network broke)"
    if isinstance(lost, asyncpg.PostgresError):
        return redacted(str(getattr(lost, "message", "") or lost))
    return f"{type(lost).__name__}: {redacted(str(lost))}" if str(lost) else type(lost).__name__


def _by_sqlstate(exc: asyncpg.PostgresError) -> tuple[type[errors.BatchRepoError], dict[str, Any]]:
    """Classes that depend on the sqlstate alone (constraint errors are described, with their
    rows, by :mod:`batchrepo.db.error_mapping`)."""
    state = str(exc.sqlstate)
    message = str(getattr(exc, "message", "") or exc)
    fields: dict[str, Any] = {"sqlstate": state, "reason": redacted(message)}
    cls: type[errors.BatchRepoError]
    if state in _TRANSIENT:
        cls = _TRANSIENT[state]
    elif state in BY_SQLSTATE:
        cls = BY_SQLSTATE[state]
        fields["constraint"] = getattr(exc, "constraint_name", None)
    elif isinstance(exc, asyncpg.InvalidCachedStatementError):
        cls = errors.CachedPlanInvalidError
    elif state == "57014":
        timeout = "statement timeout" in message
        cls = errors.StatementTimeoutError if timeout else errors.QueryCanceledError
    elif state.startswith("22"):
        cls = errors.DataError
    else:
        cls = errors.DatabaseError
    return cls, fields


def translated(exc: BaseException, table: str) -> errors.BatchRepoError | None:
    """``exc`` as a batchrepo error about ``table`` (None: let it propagate as it is)."""
    found = classified(exc)
    if found is None:
        return None
    cls, fields = found
    return cls(table, **fields)


P = ParamSpec("P")
R = TypeVar("R")


def boundary(operation: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorate a public operation ``(target, spec, ...)``: whatever fails inside it leaves as a
    batchrepo error naming the table, with the original as ``__cause__`` (for a lost
    connection: the error that first said so, not the failed cleanup that followed it)."""

    @functools.wraps(operation)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await operation(*args, **kwargs)
        except Exception as exc:
            spec = args[1] if len(args) > 1 else kwargs.get("spec")
            mapped = translated(exc, str(getattr(spec, "table", "?")))
            if mapped is None:
                raise
            for note in getattr(exc, "__notes__", ()):
                mapped.add_note(note)  # what a chunked call wrote before the failure, say
            raise mapped from lost_connection(exc) or exc

    return call
