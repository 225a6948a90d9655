"""The validation gate, with real GX runs and real Delta tables: a correct video passes and is published;
each broken batch fails the gate, lands in quarantine, and leaves the published tables as they were."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable

from tasks.lake import schema as lake_schema
from tasks.lake.batch import VideoBatch
from tasks.lake.store import Lake
from tasks.validate import quarantine
from tasks.validate.check import ValidationOutcome, validate_batch
from tasks.validate.gate import audit_and_publish, replay_quarantined
from tasks.validate.results_table import table_uri as validations_uri
from tasks.validate.suites import SUITE_TABLES, gx_runtime, load_suite_file
from tests.support.validate_batches import good_batch

Break = Callable[[VideoBatch], None]


def set_where(batch: VideoBatch, table: str, column: str, value: Any, where: pl.Expr | None = None) -> None:
    """Set ``column`` to ``value`` on the rows matching ``where`` (all rows when None), keeping its dtype
    unless the value cannot have it."""
    frame = batch.tables[table]
    literal = pl.lit(value)
    new = literal if where is None else pl.when(where).then(literal).otherwise(pl.col(column))
    try:
        batch.tables[table] = frame.with_columns(new.cast(frame.schema[column], strict=True).alias(column))
    except pl.exceptions.PolarsError:
        batch.tables[table] = frame.with_columns(new.alias(column))


def cast(table: str, column: str, dtype: Any) -> Break:
    def apply(batch: VideoBatch) -> None:
        batch.tables[table] = batch.tables[table].with_columns(pl.col(column).cast(dtype))

    return apply


def setter(table: str, column: str, value: Any, where: pl.Expr | None = None) -> Break:
    return lambda batch: set_where(batch, table, column, value, where)


def both(*breaks: Break) -> Break:
    def apply(batch: VideoBatch) -> None:
        for each in breaks:
            each(batch)

    return apply


def drop(table: str, column: str) -> Break:
    def apply(batch: VideoBatch) -> None:
        batch.tables[table] = batch.tables[table].drop(column)

    return apply


def duplicate_row(table: str, index: int = 3) -> Break:
    def apply(batch: VideoBatch) -> None:
        frame = batch.tables[table]
        batch.tables[table] = pl.concat([frame, frame.slice(index, 1)])

    return apply


def edit_document(change: Callable[[dict[str, Any]], object]) -> Break:
    return lambda batch: change(batch.document) and None


def drop_rows(table: str, where: pl.Expr) -> Break:
    def apply(batch: VideoBatch) -> None:
        batch.tables[table] = batch.tables[table].filter(~where)

    return apply


FRAME_3 = pl.col("frame_index") == 3
FACE_1 = pl.col("face_id") == 1
FIRST_FACE_1 = FACE_1 & (pl.col("frame_index") == 5)
SHOT = [pl.col("shot_index") == index for index in range(3)]  # the good batch's shots: 0-11, 12-29, 30-44

# The breaks the issue names, one batch each: each must fail the gate, land in quarantine and leave the
# published tables alone. name -> (how to break a correct batch, expectations that must be among the failed).
ISSUE_CASES: dict[str, tuple[Break, set[str]]] = {
    "coordinate of 1.3": (
        setter("face_events", "x", 1.3, FRAME_3),
        {"face_events: x_in_0_1", "face_events: box_right_edge_inside_frame"},
    ),
    "negative y": (setter("face_events", "y", -0.01, FRAME_3), {"face_events: y_in_0_1"}),
    "negative width": (setter("face_events", "width", -0.2, FRAME_3), {"face_events: width_in_0_excl_1"}),
    "zero height": (setter("face_events", "height", 0.0, FRAME_3), {"face_events: height_in_0_excl_1"}),
    "box leaves frame right": (
        setter("face_events", "x", 0.76, FIRST_FACE_1),
        {"face_events: box_right_edge_inside_frame"},
    ),
    "box leaves frame bottom": (
        setter("face_events", "y", 0.5001, FIRST_FACE_1),
        {"face_events: box_bottom_edge_inside_frame"},
    ),
    "confidence above 1": (
        setter("face_events", "confidence", 1.2, FRAME_3),
        {"face_events: confidence_in_0_1"},
    ),
    "duplicated event": (duplicate_row("face_events"), {"face_events: one_event_per_face_per_frame"}),
    "negative face id": (setter("face_events", "face_id", -1, FRAME_3), {"face_events: face_id_at_least_0"}),
    "null face id": (
        setter("face_events", "face_id", None, FRAME_3),
        {"face_events: face_id_type", "face_events: face_id_not_null"},
    ),
    "negative frame index": (
        setter("face_events", "frame_index", -3, FRAME_3),
        {"face_events: frame_index_at_least_0"},
    ),
    "null frame index": (
        setter("face_events", "frame_index", None, FRAME_3),
        {"face_events: frame_index_type", "face_events: frame_index_not_null"},
    ),
    "negative time": (setter("face_events", "time_seconds", -0.1, FRAME_3), {"face_events: time_at_least_0"}),
    "time after video end": (
        setter("face_events", "time_seconds", 99.0, FRAME_3),
        {"face_events: time_within_video_duration"},
    ),
    "missing column": (
        drop("face_events", "confidence"),
        {"face_events: columns_match_lake_schema", "face_events: confidence_type"},
    ),
    "wrong type": (cast("face_events", "x", pl.String), {"face_events: x_type"}),
    "zero width": (setter("videos", "width", 0), {"videos: width_positive"}),
    "negative height": (setter("videos", "height", -360), {"videos: height_positive"}),
    "zero frame rate": (setter("videos", "frame_rate", 0.0), {"videos: frame_rate_in_0_excl_300"}),
    "frame rate 301": (setter("videos", "frame_rate", 301.0), {"videos: frame_rate_in_0_excl_300"}),
    "zero timescale": (setter("videos", "timescale", 0), {"videos: timescale_positive"}),
    "negative frame count": (setter("videos", "frame_count", -1), {"videos: frame_count_at_least_0"}),
    "video id not hex": (
        lambda b: [set_where(b, t, "video_id", b.video_id.upper()) for t in SUITE_TABLES] and None,
        {
            "videos: video_id_is_sha256_hex",
            "face_events: video_id_is_sha256_hex",
            "shots: video_id_is_sha256_hex",
        },
    ),
    "facesDetected wrong": (
        setter("videos", "faces_detected", 3),
        {"videos: faces_detected_matches_face_events"},
    ),
    "gap between fragments": (
        setter("fragments", "start_ticks", 20_500, pl.col("fragment_index") == 2),
        {"fragments: starts_contiguous"},
    ),
    "events x interval != duration": (
        setter("fragments", "duration_ticks", 9_500, pl.col("fragment_index") == 1),
        {"fragments: events_times_interval_is_duration"},
    ),
    "shot ends before it starts": (
        setter("shots", "last_frame", 10, SHOT[1]),
        {"shots: last_frame_not_before_first", "videos: shots_cover_grid"},
    ),
    "gap between shots": (
        setter("shots", "first_frame", 13, SHOT[1]),
        {"shots: shots_contiguous", "videos: shots_cover_grid"},
    ),
    "shots miss the end of the video": (drop_rows("shots", SHOT[2]), {"videos: shots_cover_grid"}),
    "shot ends after the video": (
        setter("shots", "last_frame", 45, SHOT[2]),
        {"shots: last_frame_inside_grid", "videos: shots_cover_grid"},
    ),
    "duplicated shot": (duplicate_row("shots", 1), {"shots: one_row_per_shot"}),
    "shot ends before it starts in time": (
        setter("shots", "end_seconds", 0.4, SHOT[1]),
        {"shots: end_after_start"},
    ),
    "document box leaves frame": (
        edit_document(lambda d: d["fragments"][0]["events"][5][1].update(x=0.8)),
        {"contract: box-inside-frame"},
    ),
    "document facesDetected wrong": (
        edit_document(lambda d: d.update(facesDetected=5)),
        {"contract: faces-detected-count"},
    ),
}

# The suites' further expectations. GX costs ~5 ms per expectation per video (all the suites run on
# every batch), so these breaks are grouped: each group breaks distinct rows or columns of one batch, and
# every expectation it aims at must be among the failed ones.
EXTRA_GROUPS: dict[str, tuple[list[Break], set[str]]] = {
    "face_events extras": (
        [
            lambda b: b.tables.update(
                face_events=b.tables["face_events"].with_columns(pl.lit(1).alias("age"))
            ),
            setter("face_events", "x", float("nan"), FRAME_3),
            setter("face_events", "video_bucket", "z", pl.col("frame_index") == 4),
            setter("face_events", "video_id", "f" * 64, pl.col("frame_index") == 6),
            setter("face_events", "pts", -1, pl.col("frame_index") == 7),
            setter("face_events", "fragment_index", -1, pl.col("frame_index") == 8),
        ],
        {
            "face_events: columns_match_lake_schema",
            "face_events: x_not_null",
            "face_events: video_bucket_matches_video_id",
            "face_events: event_video_in_videos",
            "face_events: pts_at_least_0",
            "face_events: fragment_index_at_least_0",
        },
    ),
    "videos extras": (
        [
            setter("videos", "frame_rate_num", 0),
            setter("videos", "frame_rate_den", 0),
            setter("videos", "interval_ticks", 0),
            setter("videos", "duration_seconds", -1.0),
            setter("videos", "rotation", 45),
            setter("videos", "container", "mov,mp4,m4a,3gp,3g2,mj2"),
            setter("videos", "faces_detected", -1),
            setter("videos", "event_count", 1),
            setter("videos", "source_uri", None),
            cast("videos", "processed_at", pl.Datetime("us")),
            duplicate_row("videos", 0),
        ],
        {
            "videos: frame_rate_num_positive",
            "videos: frame_rate_den_positive",
            "videos: interval_positive",
            "videos: duration_at_least_0",
            "videos: rotation_quarter_turn",
            "videos: container_is_short_name",
            "videos: faces_detected_at_least_0",
            "videos: event_count_matches_face_events",
            "videos: source_uri_not_null",
            "videos: processed_at_type",
            "videos: video_id_unique",
        },
    ),
    "imported rows in a detected video": (
        [setter("face_events", "imported", True, pl.col("frame_index") == 0)],
        {"face_events: imported_matches_video", "face_events: imported_rows_have_no_measurements"},
    ),
    "no videos row": (
        [lambda b: b.tables.update(videos=b.tables["videos"].clear())],
        {"videos: at_least_one_video", "face_events: event_video_in_videos", "shots: shot_video_in_videos"},
    ),
    "fragments extras": (
        [
            setter("fragments", "event_count", 0, pl.col("fragment_index") == 0),
            setter("fragments", "face_count", 1, pl.col("fragment_index") == 2),
            setter("fragments", "duration_ticks", 0, pl.col("fragment_index") == 4),
            setter("fragments", "interval_ticks", 0, pl.col("fragment_index") == 3),
            setter("fragments", "frame_count", 0, pl.col("fragment_index") == 2),
            setter("fragments", "start_ticks", -1, pl.col("fragment_index") == 0),
            duplicate_row("fragments", 1),
        ],
        {
            "fragments: event_count_matches_face_events",
            "fragments: face_count_at_most_event_count",
            "fragments: duration_positive",
            "fragments: interval_positive",
            "fragments: frame_count_positive",
            "fragments: start_at_least_0",
            "fragments: one_row_per_fragment",
        },
    ),
    "negative fragment index": (
        [setter("fragments", "fragment_index", -1, pl.col("fragment_index") == 0)],
        {"fragments: fragment_index_at_least_0"},
    ),
    "faces extras": (
        [
            setter("faces", "frames_seen", 0, FACE_1),
            setter("faces", "frames_seen", 3, pl.col("face_id") == 0),
            setter("faces", "last_frame", 0, FACE_1),
            setter("faces", "first_frame", -1, pl.col("face_id") == 0),
            setter("faces", "mean_confidence", 1.5),
            setter("faces", "max_confidence", -1.0),
            setter("faces", "max_width", 0.0, FACE_1),
            setter("faces", "max_height", 1.5, FACE_1),
            duplicate_row("faces", 0),
        ],
        {
            "faces: frames_seen_positive",
            "faces: frames_seen_matches_face_events",
            "faces: first_frame_not_after_last",
            "faces: first_frame_at_least_0",
            "faces: mean_confidence_in_0_1",
            "faces: max_confidence_in_0_1",
            "faces: max_width_in_0_excl_1",
            "faces: max_height_in_0_excl_1",
            "faces: one_row_per_track",
        },
    ),
    "negative track id": ([setter("faces", "face_id", -1, FACE_1)], {"faces: face_id_at_least_0"}),
    "shots extras": (
        [
            setter("shots", "first_frame", -1, SHOT[0]),
            setter("shots", "start_seconds", -0.1, SHOT[0]),
            setter("shots", "shot_index", 5, SHOT[2]),  # shots 0, 1, 5: a gap in the numbering
        ],
        {"shots: first_frame_at_least_0", "shots: start_seconds_at_least_0", "shots: shot_index_is_position"},
    ),
}

# Expectations about the schema itself (columns, types, nulls) are exercised by their own tests below.
SCHEMA_KINDS = (
    "expect_table_columns_to_match_ordered_list",
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_not_be_null",
)


@dataclass
class PublishedLake:
    lake: Lake
    versions: dict[str, int]
    rows: dict[str, int]

    def current_versions(self) -> dict[str, int]:
        return {t: DeltaTable(self.lake.table_uri(t)).version() for t in lake_schema.VIDEO_TABLES}

    def current_rows(self) -> dict[str, int]:
        return {t: pl.read_delta(self.lake.table_uri(t)).height for t in lake_schema.VIDEO_TABLES}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> PublishedLake:
    """A lake holding one correctly published video, shared by the broken-batch cases."""
    lake = Lake(str(tmp_path_factory.mktemp("lake")))
    outcome = audit_and_publish(lake, good_batch("published"))
    assert outcome.success, outcome.failed
    state = PublishedLake(lake, {}, {})
    state.versions, state.rows = state.current_versions(), state.current_rows()
    return state


def broken_batch(name: str) -> VideoBatch:
    batch = good_batch(seed=name)
    ISSUE_CASES[name][0](batch)
    return batch


def test_correct_batch_passes_with_a_result_row_per_expectation(published: PublishedLake) -> None:
    batch = good_batch("another good one")
    outcome = validate_batch(batch)
    assert outcome.success and outcome.failed == [] and outcome.reason == "passed"
    outcome.raise_for_failure()
    assert outcome.results is not None
    expected = sum(len(load_suite_file(t)["expectations"]) for t in SUITE_TABLES)
    gx_rows = outcome.results.filter(pl.col("suite") != "contract")
    assert gx_rows.height == expected
    assert outcome.results["success"].all()
    assert set(outcome.results["video_id"]) == {batch.video_id}
    # Aggregate expectations record what they saw: the type check its dtype, the column list its columns.
    observed = dict(gx_rows.select("expectation", "observed_value").iter_rows())
    assert json.loads(observed["x_type"]) == "float64"


def test_published_batch_is_in_the_lake_with_its_validations(published: PublishedLake) -> None:
    assert published.rows == {"face_events": 45, "fragments": 5, "faces": 2, "shots": 3, "videos": 1}
    validations = pl.read_delta(validations_uri(published.lake))
    assert validations.filter(pl.col("video_id") == good_batch("published").video_id)["success"].all()
    assert quarantine.quarantined_video_ids(published.lake) == []


@pytest.mark.parametrize("name", list(ISSUE_CASES))
def test_broken_batch_fails_gate_lands_in_quarantine_and_publishes_nothing(
    name: str, published: PublishedLake
) -> None:
    batch = broken_batch(name)
    outcome = audit_and_publish(published.lake, batch)

    assert not outcome.success
    assert ISSUE_CASES[name][1] <= set(outcome.failed), outcome.failed
    assert published.current_versions() == published.versions  # not one commit on a published table
    in_quarantine = quarantine.load_quarantined_batch(published.lake, batch.video_id)
    assert in_quarantine.extra["quarantine_reason"] == outcome.reason
    for table in lake_schema.VIDEO_TABLES:
        assert in_quarantine.tables[table].height == batch.tables[table].height
    recorded = pl.read_delta(validations_uri(published.lake)).filter(pl.col("video_id") == batch.video_id)
    failed_rows = recorded.filter(~pl.col("success"))
    assert {f"{s}: {e}" for s, e in failed_rows.select("suite", "expectation").iter_rows()} == set(
        outcome.failed
    )


def test_a_bad_shots_batch_is_quarantined_and_no_shot_is_published(tmp_path: Any) -> None:
    """A shot whose last frame comes before its first: the gate refuses the whole batch, the published
    ``shots`` table keeps exactly the rows it had, and the refused shots wait in ``quarantine/shots``."""
    lake = Lake(str(tmp_path / "lake"))
    good = good_batch("published shots")
    assert audit_and_publish(lake, good).success
    before = pl.read_delta(lake.table_uri("shots")).sort("video_id", "shot_index")
    version = DeltaTable(lake.table_uri("shots")).version()

    bad = good_batch("bad shots")
    setter("shots", "last_frame", 10, SHOT[1])(bad)
    outcome = audit_and_publish(lake, bad)

    assert not outcome.success
    assert "shots: last_frame_not_before_first" in outcome.failed
    assert DeltaTable(lake.table_uri("shots")).version() == version
    after = pl.read_delta(lake.table_uri("shots")).sort("video_id", "shot_index")
    assert after.equals(before) and set(after["video_id"]) == {good.video_id}
    assert bad.video_id not in set(pl.read_delta(lake.table_uri("videos"))["video_id"])
    held = quarantine.load_quarantined_batch(lake, bad.video_id).tables["shots"].sort("shot_index")
    assert held.equals(bad.tables["shots"].sort("shot_index"))


@pytest.mark.parametrize("group", list(EXTRA_GROUPS))
def test_further_expectations_fail_the_gate(group: str) -> None:
    batch = good_batch(seed=group)
    breaks, expected = EXTRA_GROUPS[group]
    for each in breaks:
        each(batch)
    outcome = validate_batch(batch)
    assert not outcome.success
    assert expected <= set(outcome.failed), expected - set(outcome.failed)


def test_every_value_expectation_has_a_broken_batch_case() -> None:
    groups = [names for _, names in ISSUE_CASES.values()] + [names for _, names in EXTRA_GROUPS.values()]
    covered = set().union(*groups)
    for table in SUITE_TABLES:
        for expectation in load_suite_file(table)["expectations"]:
            if expectation["type"] not in SCHEMA_KINDS:
                assert f"{table}: {expectation['meta']['name']}" in covered, expectation["meta"]["name"]


def _all_failed(outcome: ValidationOutcome, table: str, kind: str) -> tuple[set[str], set[str]]:
    expected = {
        f"{table}: {e['meta']['name']}" for e in load_suite_file(table)["expectations"] if e["type"] == kind
    }
    return expected, set(outcome.failed) & expected


SWAPPED_TYPES: dict[Any, Any] = {
    pl.Boolean: pl.Int8,
    pl.String: pl.Categorical,
    pl.Float64: pl.Float32,
    pl.Float32: pl.Float64,
    pl.Int32: pl.Int64,
    pl.Int64: pl.Int32,
}


def _wrong_type(column: str, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.List):
        return pl.col(column).cast(pl.List(pl.Int64))
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.replace_time_zone(None)
    return pl.col(column).cast(SWAPPED_TYPES[dtype.base_type()])


def test_every_column_of_the_wrong_type_is_named() -> None:
    """Every column of every table cast to a neighbouring type (int32 <-> int64, float32 <-> float64,
    text to categorical, aware to naive time): each one's type expectation must fail, by name."""
    batch = good_batch("wrong types everywhere")
    for table, frame in batch.tables.items():
        batch.tables[table] = frame.with_columns(_wrong_type(c, t) for c, t in frame.schema.items())
    outcome = validate_batch(batch)
    # A list column is an object column to pandas whatever its element type; the lake's own schema
    # cast at publish is what pins fragments.face_ids to list<int32> (see expectations/README.md).
    object_columns = {"fragments: face_ids_type"}
    for table in SUITE_TABLES:
        expected, failed = _all_failed(outcome, table, "expect_column_values_to_be_of_type")
        assert failed == expected - object_columns, expected - failed


def test_every_null_is_named() -> None:
    batch = good_batch("nulls everywhere")
    integers = []
    for table, frame in batch.tables.items():
        nullable = {f.name for f in lake_schema.SCHEMAS[table] if f.nullable}
        integers += [
            f"{table}: {c}_type" for c, t in frame.schema.items() if t.is_integer() and c not in nullable
        ]
        batch.tables[table] = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col(c)).alias(c)
            for c in frame.columns
        )
    outcome = validate_batch(batch)
    for table in SUITE_TABLES:
        expected, failed = _all_failed(outcome, table, "expect_column_values_to_not_be_null")
        assert failed == expected, expected - failed
    # Required integer columns report their nulls through the type check (a null makes them float64);
    # nullable ones (null for an imported video) through their not-null check, conditioned on the origin.
    assert set(integers) <= set(outcome.failed)


def test_box_edge_within_tolerance_passes() -> None:
    batch = good_batch("edge tolerance")
    set_where(batch, "face_events", "x", 0.75 + 5e-7, FIRST_FACE_1)  # x + width = 1 + 5e-7 <= 1 + 1e-6
    assert validate_batch(batch).success


def test_missing_table_fails_without_crashing() -> None:
    batch = good_batch("no faces table")
    del batch.tables["faces"]
    outcome = validate_batch(batch)
    assert "faces: columns_match_lake_schema" in outcome.failed


def test_failed_rows_record_what_was_unexpected() -> None:
    outcome = validate_batch(broken_batch("coordinate of 1.3"))
    assert outcome.results is not None
    row = outcome.results.filter(pl.col("expectation") == "x_in_0_1").row(0, named=True)
    assert row["success"] is False and row["unexpected_count"] == 1 and row["element_count"] == 45
    assert json.loads(row["unexpected_sample"]) == [1.3]
    assert isinstance(row["validated_at"], datetime)


def test_reason_is_one_line_and_failure_raises_exit_code_1() -> None:
    from tasks.errors import ValidationFailed

    outcome = validate_batch(broken_batch("missing column"))
    assert "\n" not in outcome.reason
    assert outcome.reason.startswith(
        f"failed {len(outcome.failed)} expectation(s): face_events: columns_match"
    )
    with pytest.raises(ValidationFailed) as info:
        outcome.raise_for_failure()
    assert info.value.exit_code == 1


def test_gx_is_imported_once_and_suites_cached() -> None:
    from tasks.validate.suites import warm_up

    runtime = gx_runtime()
    warm_up().join(timeout=60)
    assert gx_runtime() is runtime
    batch = good_batch("timing")
    validate_batch(batch)
    assert (
        gx_runtime().context.validation_results_store.list_keys() == []
    )  # nothing accumulates in a long-running worker


def test_quarantine_keeps_unfit_values_and_replaces_on_requarantine(tmp_path: Any) -> None:
    lake = Lake(str(tmp_path / "lake"))
    batch = broken_batch("wrong type")
    first = audit_and_publish(lake, batch)
    second = audit_and_publish(lake, batch)
    assert not first.success and not second.success
    rows = pl.read_delta(quarantine.quarantine_uri(lake, "face_events"))
    assert rows.height == batch.tables["face_events"].height  # replaced, not appended twice
    assert rows["x"].dtype == pl.Float64  # the cast that fits the lake schema ...
    originals = [json.loads(v)["x"] for v in rows.sort("frame_index", "face_id")["quarantine_unfit"]]
    assert (
        originals == batch.tables["face_events"].sort("frame_index", "face_id")["x"].to_list()
    )  # ... and the text
    assert set(rows["failed_expectations"].explode()) == set(second.failed)
    document = quarantine.load_quarantined_batch(lake, batch.video_id).document
    assert document == batch.document
    assert not any(lake.exists(t) for t in lake_schema.VIDEO_TABLES)  # nothing was published


def test_replay_after_a_fix_publishes_and_releases(tmp_path: Any) -> None:
    lake = Lake(str(tmp_path / "lake"))
    batch = broken_batch("coordinate of 1.3")
    assert not audit_and_publish(lake, batch).success
    # The fix: correct the quarantined row in place, as a user would with SQL or deltalake.
    DeltaTable(quarantine.quarantine_uri(lake, "face_events")).update(
        predicate="x > 1", updates={"x": "0.13"}
    )
    outcome = replay_quarantined(lake, batch.video_id)
    assert outcome.success, outcome.failed
    assert pl.read_delta(lake.table_uri("face_events")).height == 45
    assert quarantine.quarantined_video_ids(lake) == []


@pytest.mark.parametrize("table", SUITE_TABLES)
def test_suite_states_the_lake_schema(table: str) -> None:
    """The suites are reviewed JSON, the schema is code: a column added to one and not the other fails
    here, with the column named, before any batch does."""
    from tasks.validate.audit_views import audit_columns

    schema = lake_schema.SCHEMAS[table]
    expectations = load_suite_file(table)["expectations"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for expectation in expectations:
        by_kind.setdefault(expectation["type"], []).append(expectation["kwargs"])
    (ordered,) = by_kind["expect_table_columns_to_match_ordered_list"]
    assert ordered["column_list"] == schema.names + list(audit_columns()[table])
    empty = pl.from_arrow(schema.empty_table()).to_pandas()  # type: ignore[union-attr]
    pandas_types = {c: str(t) for c, t in empty.dtypes.items()}
    pandas_types.update({c: "Timestamp" for c, t in pandas_types.items() if t.startswith("datetime64")})
    pandas_types.update({c: "object" for c, t in pandas_types.items() if t == "object"})
    stated = {k["column"]: k["type_"] for k in by_kind["expect_column_values_to_be_of_type"]}
    assert stated == pandas_types
    required = {f.name for f in schema if not f.nullable and not pa_is_integer(f.type)}
    not_null = {k["column"] for k in by_kind["expect_column_values_to_not_be_null"]}
    assert required <= not_null, required - not_null
    names = [e["meta"]["name"] for e in expectations]
    assert len(names) == len(set(names)) and all(e.get("description") for e in expectations)


def pa_is_integer(dtype: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_integer(dtype))


def _all_types_wrong(batch: VideoBatch) -> None:
    for table, frame in batch.tables.items():
        batch.tables[table] = frame.with_columns(_wrong_type(c, t) for c, t in frame.schema.items())


def _first_rows_null(batch: VideoBatch) -> None:
    for table, frame in batch.tables.items():
        first = pl.int_range(pl.len()) == 0
        batch.tables[table] = frame.with_columns(
            pl.when(first).then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns
        )


def _tables_missing(batch: VideoBatch) -> None:
    del batch.tables["faces"]
    batch.tables["videos"] = batch.tables["videos"].clear()
    batch.document = {}


def _odd_extra_columns(batch: VideoBatch) -> None:
    batch.tables["face_events"] = batch.tables["face_events"].with_columns(
        pl.lit([1, 2]).alias("a_list"), pl.lit(None).alias("all_null")
    )


@pytest.mark.parametrize("damage", [_all_types_wrong, _first_rows_null, _tables_missing, _odd_extra_columns])
def test_quarantine_takes_any_broken_batch(damage: Break, tmp_path: Any) -> None:
    """Whatever shape a refused batch has, quarantining it works and reads back: a crash here would turn
    a refused video into an unexplained pipeline failure."""
    lake = Lake(str(tmp_path / "lake"))
    batch = good_batch(damage.__name__)
    damage(batch)
    outcome = ValidationOutcome(success=False, failed=["face_events: example"], video_id=batch.video_id)
    versions = quarantine.quarantine_batch(lake, batch, outcome)
    assert set(versions) == {*lake_schema.VIDEO_TABLES, quarantine.DOCUMENTS}
    back = quarantine.load_quarantined_batch(lake, batch.video_id)
    for table in lake_schema.VIDEO_TABLES:
        frame = batch.tables.get(table)
        assert back.tables[table].height == (frame.height if frame is not None else 0)
        assert back.tables[table].columns == lake_schema.SCHEMAS[table].names
    assert back.document == batch.document


def test_a_suite_gx_cannot_read_stops_the_gate_by_name(tmp_path: Any) -> None:
    """GX itself only logs and drops an expectation it cannot build; the gate must refuse instead."""
    import shutil

    from tasks.errors import FacetrackError
    from tasks.validate.suites import expectations_dir

    for table in SUITE_TABLES:
        shutil.copy(expectations_dir() / f"{table}.json", tmp_path)
    suite = load_suite_file("faces", tmp_path)
    suite["expectations"][-1]["type"] = "expect_column_max_to_be_betwen"  # a typo
    (tmp_path / "faces.json").write_text(json.dumps(suite))
    with pytest.raises(
        FacetrackError, match=r"suite 'faces', expectation max_height_in_0_excl_1: .*not found"
    ):
        gx_runtime(tmp_path)
