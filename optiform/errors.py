"""One error family: every error optiform raises for a user's input derives from :class:`OptiformError`.

The command line turns exactly these into a one-line message and exit status 1; anything else is a
bug and surfaces with its traceback. Each subclass also derives from the built-in exception it
replaced (``ValueError`` or ``RuntimeError``), so ``except ValueError`` in existing scripts still
catches it.

=======================  ==========================================================================
class                    raised for
=======================  ==========================================================================
``SpecError``            a campaign file or spec that does not satisfy the schema (names each key)
``DataError``            a table, value, id or argument that does not fit the campaign (names where)
``StoreError``           a store that cannot be opened, is busy or read-only, or lacks what was asked for
``ProposalConflict``     (a ``StoreError``) another process added formulations while a batch was
                         proposed; :meth:`Campaign.propose` catches it and proposes again
``AnalysisError``        an instrument file or measurement that cannot be analysed
``ReaderError``          (an ``AnalysisError``) an instrument file that cannot be read
``StrategyError``        a strategy that cannot propose (unknown name, bad options, space used up)
``GridExhaustedError``   (a ``StrategyError``) the grid strategy has no unmade point left
``SpaceExhaustedError``  (a ``StrategyError``) too few distinct new formulations fit the space
``BenchError``           a benchmark that cannot run (``RunFailedError``: one run failed)
=======================  ==========================================================================

:class:`OptiformWarning` (a ``UserWarning``) is what optiform warns with when the result is usable
but asks for care (a mass too small to weigh well); the command line prints it as ``warning: ...``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AnalysisError",
    "BenchError",
    "DataError",
    "GridExhaustedError",
    "OptiformError",
    "OptiformWarning",
    "ProposalConflict",
    "ReaderError",
    "SpaceExhaustedError",
    "SpecError",
    "StoreError",
    "StrategyError",
    "path_error",
]


class OptiformError(Exception):
    """Base of every error optiform raises for a user's input; the message is one readable line
    (or one line per problem) naming the file, line or field and what was expected."""


class SpecError(OptiformError, ValueError):
    """A campaign file (or spec dict) that does not satisfy the schema; the message names each key."""


class DataError(OptiformError, ValueError):
    """A table, value, id or argument whose content does not fit the campaign; the message names where."""


class StoreError(OptiformError, RuntimeError):
    """The store cannot be opened or written, or does not hold what was asked for."""


class ProposalConflict(StoreError):
    """Another process added formulations to the campaign after a proposal read it, so the proposal
    did not condition on them; nothing was stored. :meth:`Campaign.propose` proposes again."""


class AnalysisError(OptiformError, ValueError):
    """An instrument file or measurement that cannot be analysed (too few points, no fit, ...)."""


class ReaderError(AnalysisError):
    """An instrument file that cannot be read; the message names the file, line or column and what
    was expected."""


class StrategyError(OptiformError, ValueError):
    """A strategy that cannot be built or cannot propose (unknown name, bad options, too few points)."""


class GridExhaustedError(StrategyError, RuntimeError):
    """Every point of the grid strategy's lattice is already made or pending."""


class SpaceExhaustedError(StrategyError, RuntimeError):
    """Too few distinct formulations fit on the lattice away from those already made or pending."""


class BenchError(OptiformError, RuntimeError):
    """A benchmark that cannot run (unknown problem, a failing run)."""


class OptiformWarning(UserWarning):
    """A usable result that asks for care (e.g. a mass below what the balance weighs well)."""


def path_error(
    path: str | Path, exc: OSError, action: str = "read it", error: type[OptiformError] = DataError
) -> OptiformError:
    """A one-line error for an ``OSError`` on a path the user named, e.g. ``path_error(p, exc,
    "read the results")`` -> ``results.csv: cannot read the results (Is a directory)``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return error(f"{path}: cannot {action} ({reason})")
