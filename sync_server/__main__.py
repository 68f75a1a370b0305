"""`python -m sync_server` runs the same command line as `sync-server`."""

from .cli import cli

cli(prog_name="sync-server")
