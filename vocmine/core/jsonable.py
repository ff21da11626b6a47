"""Plain JSON data from what vocmine's frames and results hold (numpy, pandas, dates, NaN)."""
from __future__ import annotations

from typing import Any


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON data: NaN, infinities, NaT and pandas NA become None.

    numpy scalars and arrays become Python numbers and lists, DataFrames their records, Series
    and mappings dicts, dates ISO-8601 text, sets sorted lists; anything else its ``str``.
    """
    import datetime as dt
    import math

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=lambda v: (str(type(v)), str(v)))
    module = type(value).__module__ or ""
    if isinstance(value, (dt.datetime, dt.date, dt.time)) and not module.startswith("pandas"):
        return value.isoformat()
    if module.startswith(("numpy", "pandas")):
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            return jsonable(value.to_dict(orient="records"))
        if isinstance(value, (pd.Series, pd.Index)):
            return jsonable(value.to_dict() if isinstance(value, pd.Series) else value.tolist())
        if hasattr(value, "tolist"):  # numpy arrays and scalars
            return jsonable(value.tolist())
        try:
            if pd.isna(value):  # NaT, pd.NA
                return None
        except (TypeError, ValueError):
            pass
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
    if hasattr(value, "as_dict"):
        return jsonable(value.as_dict())
    return str(value)
