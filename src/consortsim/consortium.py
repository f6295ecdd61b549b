"""Consortium-wide state: coordinator, agenda, money held in common, status.

The numbers live in one record of ``CONSORTIUM_DTYPE`` (``Consortium.record``), which the
compiled mechanisms read and write by field name; ``Consortium`` gives Python the same
fields as attributes. A month that has not happened (``dissolved_month``,
``grant_end_month``) is stored as ``NOT_YET`` and read as ``None``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NOT_YET = -1

_FIELDS: tuple[tuple[str, Any, Any], ...] = (
    # name, dtype, initial value
    ("coordinator_present", np.bool_, False),
    ("position_open", np.bool_, True),
    ("coordinator_vacancy_left", np.int64, 0),
    ("coordinator_funded", np.bool_, True),
    ("coordinator_paid_by_grant", np.float64, 0.0),
    ("unfunded_months", np.int64, 0),
    ("agenda", np.float64, 0.3),
    ("track_record", np.float64, 0.3),
    ("meetings", np.int64, 0),
    ("engaged", np.int64, 0),
    ("idle_months", np.int64, 0),
    ("dissolved", np.bool_, False),
    ("dissolved_month", np.int64, NOT_YET),
    ("grant_end_month", np.int64, NOT_YET),
    ("grant_spend", np.float64, 0.0),
    ("grant_sources", np.int64, 0),
    ("pooled_fund", np.float64, 0.0),
    ("last_application", np.int64, -1000),
    ("awards", np.int64, 0),
    ("bridge_used", np.bool_, False),
    ("lead_absorbed", np.bool_, False),
    ("referrals_made", np.int64, 0),
    ("referrals_completed", np.int64, 0),
    ("mat_starts", np.float64, 0.0),
    ("people_linked", np.int64, 0),
    ("grant_count", np.int64, 0),      # rows in use in the grant table
    ("event_count", np.int64, 0),      # rows in use in the event buffer
)
CONSORTIUM_DTYPE = np.dtype([(name, dtype) for name, dtype, _ in _FIELDS])
OPTIONAL_MONTHS = ("dissolved_month", "grant_end_month")


def _field_property(name: str, kind: Any) -> property:
    optional = name in OPTIONAL_MONTHS
    convert = bool if kind is np.bool_ else int if kind is np.int64 else float

    def get(self: Consortium) -> Any:
        value = convert(self.record[0][name])
        return None if optional and value == NOT_YET else value

    def put(self: Consortium, value: Any) -> None:
        self.record[0][name] = NOT_YET if optional and value is None else value

    return property(get, put)


class Consortium:
    """Consortium-wide state, one attribute per field of ``CONSORTIUM_DTYPE``."""

    def __init__(self, **values: Any) -> None:
        self.record = np.zeros(1, dtype=CONSORTIUM_DTYPE)
        for name, _, initial in _FIELDS:
            setattr(self, name, values.pop(name, initial))
        if values:
            raise TypeError(f"unknown consortium fields: {sorted(values)}")

    def __repr__(self) -> str:
        inside = ", ".join(f"{name}={getattr(self, name)!r}" for name, _, _ in _FIELDS)
        return f"Consortium({inside})"


for _name, _kind, _ in _FIELDS:
    setattr(Consortium, _name, _field_property(_name, _kind))
