"""One variable (column) of a Stata or SPSS file, as the streaming writers take it.

The exports module decides names, labels and widths in a first pass over the records;
`sync_server.stata` and `sync_server.spss` then write the file in a second pass, one
row at a time, so that memory does not grow with the number of records.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Variable:
    """A column: numeric (width 0, values float/int or None) or string (UTF-8 bytes).

    name: already valid for the target format (letters, digits, `_`; unique ignoring case).
    label: the variable label, already clipped to the format's limit.
    width: 0 for a numeric variable; otherwise the longest value in UTF-8 bytes (at least 1).
    integer: a numeric variable whose values are all whole numbers (display format only).
    value_labels: for a numeric variable, {code: label}, labels already clipped.
    """

    name: str
    label: str
    width: int = 0
    integer: bool = False
    value_labels: dict = field(default_factory=dict, compare=False)

    @property
    def numeric(self) -> bool:
        return self.width == 0
