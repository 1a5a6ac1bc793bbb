"""The package version, read by ``pyproject.toml`` (setuptools' ``attr:``) and ``optiform.__version__``."""

__version__ = "0.2.0.dev0"
