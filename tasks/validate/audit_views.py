"""audit_views: the pandas frames the GX suites validate, one per table, with ``audit_*`` columns.

GX expectations compare a column with constants or with another column; they cannot state
``x + width <= 1`` or "facesDetected equals the distinct face ids of this video in face_events". So each
table's rows are extended with the derived values those rules need, computed here with Polars from the
whole batch (cross-table facts included), and the suites compare against these columns. The suites
list the audit columns explicitly after the table's own, so a view with a column too many or too few
still fails.

A broken batch must fail the gate, never crash it: an audit value that cannot be computed (a column
missing, of the wrong type) becomes null, and the suite's own column and type expectations report the
actual cause.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

# Tolerance of the float comparisons, as in the JSON contract (check_output.py's EPS).
EPS = 1e-6

AuditColumn = Callable[["pl.DataFrame", dict[str, "pl.DataFrame"]], "pl.Series"]


def audit_views(tables: dict[str, pl.DataFrame]) -> dict[str, pd.DataFrame]:
    """For each video table, its rows plus audit columns, as pandas (GX has no Polars)."""
    import polars as pl

    views: dict[str, pd.DataFrame] = {}
    for table, columns in audit_columns().items():
        frame = tables.get(table)
        if frame is None:
            frame = pl.DataFrame()
        for name, (dtype, build) in columns.items():
            frame = frame.with_columns(_safe_column(frame, tables, name, dtype, build))
        views[table] = _nullable_integers(frame, table)
    return views


def _nullable_integers(frame: pl.DataFrame, table: str) -> pd.DataFrame:
    """The frame as pandas, the schema's nullable integer columns with nulls as pandas' nullable ``Int32``
    / ``Int64`` (of the frame's own width). A null in a plain integer column turns it into float64, which
    its ``_type`` expectation must refuse (a required integer that lost a value), but an imported video's
    ``detect_every`` may be null and is still an integer. GX reads ``Int64`` as ``int64``."""
    import pyarrow as pa

    from tasks.lake.schema import SCHEMAS

    view = frame.to_pandas()
    for field in SCHEMAS[table]:
        name = field.name
        if not (field.nullable and pa.types.is_integer(field.type) and name in frame.columns):
            continue
        dtype = frame.schema[name]
        if dtype.is_integer() and view[name].dtype.kind == "f":
            view[name] = view[name].astype(str(dtype))  # Polars and pandas name them alike: Int32, Int64
    return view


def _safe_column(
    frame: pl.DataFrame, tables: dict[str, pl.DataFrame], name: str, dtype: pl.DataType, build: AuditColumn
) -> pl.Series:
    import polars as pl

    try:
        values = build(frame, tables)
        if len(values) == frame.height:
            return values.cast(dtype).alias(name)
    except (pl.exceptions.PolarsError, KeyError, TypeError, ValueError, AttributeError):
        pass
    return pl.Series(name, [None] * frame.height, dtype=dtype)


def _lookup(
    frame: pl.DataFrame, other: pl.DataFrame | None, keys: list[str], value: pl.Expr, fill: object = None
) -> pl.Series:
    """``value`` aggregated over ``other`` per ``keys``, aligned to ``frame``'s rows (left join)."""
    import polars as pl

    if other is None:
        raise KeyError("table missing")
    per_key = other.group_by(keys).agg(value.alias("_value"))
    joined = frame.select(keys).join(per_key, on=keys, how="left", maintain_order="left")
    column = joined["_value"]
    return column.fill_null(pl.lit(fill)) if fill is not None else column


def _right_edge(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    return frame["x"] + frame["width"]


def _bottom_edge(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    return frame["y"] + frame["height"]


def _video_duration(frame: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.Series:
    """The event's video's duration (+ EPS), null when the batch has no ``videos`` row for it."""
    import polars as pl

    return _lookup(frame, tables.get("videos"), ["video_id"], pl.col("duration_seconds").first() + EPS)


def _video_bucket(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    from tasks.lake.schema import VIDEO_BUCKET_DIGITS

    return frame["video_id"].str.slice(0, VIDEO_BUCKET_DIGITS)


def _distinct_face_ids(frame: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.Series:
    import polars as pl

    return _lookup(frame, tables.get("face_events"), ["video_id"], pl.col("face_id").n_unique(), fill=0)


def _rows_in_events(keys: list[str]) -> AuditColumn:
    def count(frame: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.Series:
        import polars as pl

        return _lookup(frame, tables.get("face_events"), keys, pl.len(), fill=0)

    return count


def _previous_end(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    """Where each fragment must start: the previous fragment's end, 0 (the JSON offset) for the first."""
    import polars as pl

    end = pl.col("start_ticks") + pl.col("duration_ticks")
    ordered = end.shift(1).over("video_id", order_by="fragment_index").fill_null(0)
    return frame.select(ordered.alias("_value"))["_value"]


def _frames_x_interval(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    return frame["frame_count"].cast(frame["interval_ticks"].dtype) * frame["interval_ticks"]


def _shot_frames(frame: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.Series:
    """Frames the video's shots cover (each last - first + 1, summed), 0 when it has none."""
    import polars as pl

    length = pl.col("last_frame") - pl.col("first_frame") + 1
    return _lookup(frame, tables.get("shots"), ["video_id"], length.sum(), fill=0)


def _previous_shot_end(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    """Where each shot must start: after the previous shot's last frame (by shot_index), 0 for the first."""
    import polars as pl

    ordered = (pl.col("last_frame") + 1).shift(1).over("video_id", order_by="shot_index").fill_null(0)
    return frame.select(ordered.alias("_value"))["_value"]


def _shot_position(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    """Each shot's place in its video, 0-based by shot_index (ties broken by row order)."""
    import polars as pl

    position = pl.col("shot_index").rank("ordinal").over("video_id") - 1
    return frame.select(position.alias("_value"))["_value"]


def _video_grid_frames(frame: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.Series:
    """The shot's video's grid_frame_count, null when the batch has no ``videos`` row for it."""
    import polars as pl

    return _lookup(frame, tables.get("videos"), ["video_id"], pl.col("grid_frame_count").first())


def _video_imported(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    """Whether the video was imported (``facetrack import``): it names the JSON its rows came from."""
    return frame["imported_from"].is_not_null()


def _row_video_imported(frame: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.Series:
    """Whether the row's video was imported, null when the batch has no ``videos`` row for it."""
    import polars as pl

    return _lookup(frame, tables.get("videos"), ["video_id"], pl.col("imported_from").is_not_null().first())


def _measurements(frame: pl.DataFrame, _: dict[str, pl.DataFrame]) -> pl.Series:
    """How many of confidence and the ten landmark coordinates the row has (11 detected, 0 imported)."""
    import polars as pl

    from tasks.lake.schema import LANDMARK_COLUMNS

    present = [pl.col(c).is_not_null().cast(pl.Int64) for c in ("confidence", *LANDMARK_COLUMNS)]
    return frame.select(pl.sum_horizontal(present).alias("_value"))["_value"]


@cache
def audit_columns() -> dict[str, dict[str, tuple[pl.DataType, AuditColumn]]]:
    """Per table, the audit columns in the order the suites list them: name -> (dtype, how to compute)."""
    import polars as pl

    return {
        "videos": {
            "audit_distinct_face_ids": (pl.Int64(), _distinct_face_ids),
            "audit_event_rows": (pl.Int64(), _rows_in_events(["video_id"])),
            "audit_shot_frames": (pl.Int64(), _shot_frames),
            "audit_imported": (pl.Boolean(), _video_imported),
        },
        "face_events": {
            "audit_right_edge": (pl.Float64(), _right_edge),
            "audit_bottom_edge": (pl.Float64(), _bottom_edge),
            "audit_video_duration_seconds": (pl.Float64(), _video_duration),
            "audit_video_bucket": (pl.String(), _video_bucket),
            "audit_video_imported": (pl.Boolean(), _row_video_imported),
            "audit_measurements": (pl.Int64(), _measurements),
        },
        "faces": {
            "audit_event_rows": (pl.Int64(), _rows_in_events(["video_id", "face_id"])),
            "audit_imported": (pl.Boolean(), _row_video_imported),
        },
        "fragments": {
            "audit_previous_end": (pl.Int64(), _previous_end),
            "audit_frames_x_interval": (pl.Int64(), _frames_x_interval),
            "audit_event_rows": (pl.Int64(), _rows_in_events(["video_id", "fragment_index"])),
        },
        "shots": {
            "audit_previous_end": (pl.Int64(), _previous_shot_end),
            "audit_shot_position": (pl.Int64(), _shot_position),
            "audit_video_grid_frames": (pl.Int64(), _video_grid_frames),
        },
    }
