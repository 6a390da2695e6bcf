"""Tooling around the partitioning and strategies packages: the ``kpart`` command and a local broker."""

__version__ = "0.1.0"
