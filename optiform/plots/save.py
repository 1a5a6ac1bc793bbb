"""Writing a figure: PNG (raster, ``dpi``), SVG or PDF (vector), chosen by the file's suffix."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from ..errors import DataError, path_error

__all__ = ["DEFAULT_DPI", "FIGURE_SUFFIXES", "check_figure_path", "parse_size", "save_figure"]

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
DEFAULT_DPI = 150


def check_figure_path(out: str | Path) -> Path:
    """``out`` as a Path; DataError unless it ends in .png, .svg or .pdf."""
    path = Path(out)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise DataError(
            f"{path}: cannot write a {path.suffix or 'suffix-less'} figure; use one of {', '.join(FIGURE_SUFFIXES)}"
        )
    return path


def parse_size(text: str | None) -> tuple[float, float] | None:
    """'WxH' in inches (e.g. '7x5') -> (7.0, 5.0); None for None. DataError otherwise."""
    if text is None:
        return None
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        w, h = (float(p) for p in parts)
    except ValueError:
        raise DataError(f"--size {text!r}: expected WIDTHxHEIGHT in inches, e.g. 7x5") from None
    if not (0.5 <= w <= 100 and 0.5 <= h <= 100):
        raise DataError(f"--size {text!r}: width and height must be between 0.5 and 100 inches")
    return w, h


def save_figure(fig: Figure, out: str | Path, dpi: int = DEFAULT_DPI, size: tuple[float, float] | None = None) -> Path:
    """Save ``fig`` to ``out`` (.png at ``dpi``, .svg, .pdf), resized to ``size`` inches when given.
    Returns the path; DataError for another suffix or a dpi out of 10-2400; the file is written
    whole or not at all (a folder that cannot be written is a one-line error)."""
    path = check_figure_path(out)
    if not 10 <= int(dpi) <= 2400:
        raise DataError(f"--dpi {dpi}: expected 10 to 2400 dots per inch")
    if size is not None:
        fig.set_size_inches(*size)
    tmp = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(tmp, dpi=int(dpi), bbox_inches="tight", format=path.suffix.lower().lstrip("."))
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise path_error(path, exc, "write the figure") from None
    return path
