"""The collector's version: sent by the sync client, shown by the command line."""

__version__ = "0.1.0"
