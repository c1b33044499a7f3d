"""The command line: `main` parses and dispatches; one module per group of subcommands (matrix, log, review,
governance). Every command goes through the services, never the store."""

from gvm_desktop.cli.main import main

__all__ = ["main"]
