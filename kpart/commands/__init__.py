"""One module per ``kpart`` subcommand; each exposes ``add(subparsers)``."""
