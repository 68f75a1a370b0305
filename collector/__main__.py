"""`python -m collector` runs the same command line as `collector`."""

from .cli import cli

cli(prog_name="collector")
