"""check: what ``facetrack lake check`` finds in a lake after a crash, as a list of problems.

Three kinds of damage, from the cheapest to find to the dearest:

- **the logs** (``damaged_logs``, files only, no data read): each table's ``_delta_log`` must hold every
  commit from version 0 (or from a checkpoint) to the latest without a gap, and no commit may be empty
  or truncated. An empty last commit is the dangerous one: delta-rs reads it as a version that changed
  nothing, so the rows that commit added vanish without an error, and later commits build on top of the
  loss. ``facetrack run`` refuses a lake whose logs are damaged (``tasks.pipeline.prepare_step``).
- **leftovers** (``leftovers``): child rows (``face_events``, ``fragments``, ``faces``, ``shots``) of a
  video with no ``videos`` row. Publish writes the children first and ``videos`` last, so a process
  killed in between leaves them; they are invisible through ``videos`` and the next publish of the video
  replaces them, but a DBA wants to know. A ``videos`` row whose ``face_events`` count differs from its
  ``event_count`` is reported too (it should never happen: ``videos`` is written last).
- **runs stuck in ``running``** (``stuck_runs``): a ``runs`` row still ``running`` whose heartbeat
  (``updated_at``, rewritten every ``HEARTBEAT_SECONDS`` while the run lives) stopped belongs to a
  process that died without a word (SIGKILL, OOM, power). Rows written before the heartbeat existed are
  judged by ``started_at`` and ``--stale-hours``; ``abandon_runs`` rewrites stale rows as ``abandoned``.

Every function takes a lake and returns ``Problem``s; ``check_lake`` runs them all for the CLI.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tasks.errors import LakeError, first_line
from tasks.lake import schema as lake_schema
from tasks.lake.migrate import outdated_tables
from tasks.lake.runs import HEARTBEAT_SECONDS, HEARTBEAT_STALE_SECONDS, write_run_row
from tasks.lake.store import AUXILIARY_TABLES, Lake, arrow_filesystem

DEFAULT_STALE_HOURS = 6.0
ABANDONED = "abandoned"  # the runs.status a stale 'running' row is rewritten to

COMMIT = re.compile(r"^(\d{20})\.json$")
CHECKPOINT = re.compile(
    r"^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?(?:\.[0-9a-fA-F-]{36})?\.(parquet|json)$"
)
LakeLike = Lake | str | os.PathLike[str] | None  # what Lake.of accepts
CHILD_TABLES = tuple(t for t in lake_schema.VIDEO_TABLES if t != "videos")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a lake: the table it is in, its kind, and a one-line message."""

    table: str
    # unreadable | empty_commit | corrupt_commit | gap | checkpoint (the log's),
    # leftover | duplicate | incomplete (the rows'), stuck_run
    kind: str
    message: str

    def line(self) -> str:
        return f"{self.table}: {self.message}"

    def __str__(self) -> str:
        return self.line()


@dataclass
class CheckReport:
    """What ``check_lake`` looked at and found."""

    problems: list[Problem] = field(default_factory=list)
    tables: int = 0
    commits: int = 0
    videos: int = 0
    running: int = 0  # runs 'running' and younger than the threshold: presumably alive
    repaired: list[str] = field(default_factory=list)  # one line per run marked abandoned

    def summary(self) -> str:
        running = f", {self.running} run{'s' * (self.running != 1)} in progress" if self.running else ""
        return (
            f"lake OK: {self.tables} tables, {self.commits} commits, {self.videos} "
            f"video{'s' * (self.videos != 1)}, no leftovers{running}"
        )


# --- the logs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LogFile:
    name: str
    size: int


class _Log:
    """One table's ``_delta_log`` folder, local or on an object store: list it, read a file of it."""

    def __init__(self, lake: Lake, table: str) -> None:
        self.local = self.path = ""
        self.fs: Any = None
        if lake.is_remote:
            self.fs, self.path = arrow_filesystem(f"{lake.table_uri(table)}/_delta_log", lake.storage_options)
        else:
            self.local = os.path.join(lake.table_uri(table), "_delta_log")

    def files(self) -> list[_LogFile] | None:
        """The log's files, or None when there is no log folder."""
        if self.local:
            if not os.path.isdir(self.local):
                return None
            with os.scandir(self.local) as entries:
                return [_LogFile(e.name, e.stat().st_size) for e in entries if e.is_file()]
        import pyarrow.fs as pafs

        infos = self.fs.get_file_info(pafs.FileSelector(self.path, allow_not_found=True))
        found = [
            _LogFile(info.base_name, int(info.size or 0)) for info in infos if info.type == pafs.FileType.File
        ]
        return found or None

    def read(self, name: str) -> bytes:
        if self.local:
            with open(os.path.join(self.local, name), "rb") as handle:
                return handle.read()
        with self.fs.open_input_stream(f"{self.path}/{name}") as stream:
            return bytes(stream.read())


def _tables_present(lake: Lake) -> list[str]:
    """The lake's own tables and the gate's (validations, quarantine) that exist as folders or tables."""
    names = [*lake_schema.SCHEMAS, *AUXILIARY_TABLES]
    if not lake.is_remote:
        return [t for t in names if os.path.isdir(lake.table_uri(t))]
    return [t for t in names if lake.exists(t) or _has_log(lake, t)]


def _has_log(lake: Lake, table: str) -> bool:
    try:
        return _Log(lake, table).files() is not None
    except Exception:
        return False


def log_problems(lake: LakeLike, table: str, full: bool = True) -> tuple[list[Problem], int]:
    """The problems of one table's log and how many commits it holds.

    Every file is listed (gaps, empty files, checkpoints); the commits are parsed line by line, all of
    them when ``full``, else only those a reader replays (after the latest checkpoint), which keeps the
    check fast on an object store with a long log. A table with no folder at all has no problem.
    """
    lake = Lake.of(lake)
    try:
        log = _Log(lake, table)
    except Exception:  # a store pyarrow cannot list (Azure, GCS without its extras): what delta-rs says
        return _open_problems(lake, table) if lake.exists(table) else [], 0
    try:
        files = log.files()
    except Exception as exc:
        return [Problem(table, "unreadable", f"cannot list _delta_log: {first_line(exc)}")], 0
    if files is None:
        folder = lake.table_uri(table)
        if lake.is_remote or not os.path.isdir(folder) or not os.listdir(folder):
            return [], 0  # no table yet: the next run creates it
        return [Problem(table, "unreadable", "the table folder holds files but no _delta_log")], 0

    commits: dict[int, _LogFile] = {}
    checkpoints: dict[int, list[_LogFile]] = {}
    for entry in files:
        if match := COMMIT.match(entry.name):
            commits[int(match.group(1))] = entry
        elif match := CHECKPOINT.match(entry.name):
            checkpoints.setdefault(int(match.group(1)), []).append(entry)
    problems: list[Problem] = []
    if not commits and not checkpoints:
        message = (
            "_delta_log holds no commit and no checkpoint (an interrupted create? a run creates it anew)"
        )
        problems.append(Problem(table, "unreadable", message))
        return problems, 0

    problems += _checkpoint_problems(table, log, checkpoints, {f.name for f in files})
    good_checkpoints = sorted(v for v, parts in checkpoints.items() if all(p.size > 0 for p in parts))
    latest = max([*commits, *checkpoints])
    if 0 in commits:
        start = 0
    elif good_checkpoints:
        start = good_checkpoints[0]
    else:
        start = min(commits)
        problems.append(
            Problem(table, "gap", f"the log starts at version {start} with no checkpoint before it")
        )
    present = set(commits) | set(good_checkpoints)
    missing = [v for v in range(start, latest + 1) if v not in present]
    replayed_from = max(good_checkpoints, default=-1)  # readers start at the latest checkpoint
    if missing:
        effect = (
            "delta-rs refuses to read the table"
            if missing[-1] > replayed_from
            else "the latest version reads from its checkpoint, time travel before it is broken"
        )
        problems.append(
            Problem(
                table,
                "gap",
                f"the log has a gap: {_ranges(missing)} missing between versions {start} and {latest} "
                f"({effect})",
            )
        )

    for version, entry in sorted(commits.items()):
        if entry.size == 0:
            last = " (the last one)" if version == latest else ""
            problems.append(
                Problem(
                    table,
                    "empty_commit",
                    f"commit {entry.name}{last} is empty (0 bytes): delta-rs reads version {version} as no "
                    "change, so the rows it added are silently lost",
                )
            )
        elif full or version > replayed_from:
            problems += _commit_problems(table, log, version, entry.name, replayed_from < 0)

    if not problems:
        problems += _open_problems(lake, table)
    return problems, len(commits)


def _checkpoint_problems(
    table: str, log: _Log, checkpoints: dict[int, list[_LogFile]], names: set[str]
) -> list[Problem]:
    problems = [
        Problem(table, "checkpoint", f"checkpoint file {part.name} is empty (0 bytes)")
        for parts in checkpoints.values()
        for part in parts
        if part.size == 0
    ]
    if "_last_checkpoint" not in names:
        return problems
    try:
        pointer = json.loads(log.read("_last_checkpoint"))
        version = int(pointer["version"])
    except Exception as exc:
        return [*problems, Problem(table, "checkpoint", f"_last_checkpoint is unreadable: {first_line(exc)}")]
    if version not in checkpoints:
        problems.append(
            Problem(
                table, "checkpoint", f"_last_checkpoint names version {version}, whose checkpoint is missing"
            )
        )
    elif (expected := int(pointer.get("parts") or 1)) > len(checkpoints[version]):
        problems.append(
            Problem(
                table,
                "checkpoint",
                f"checkpoint {version} has {len(checkpoints[version])} of its {expected} parts",
            )
        )
    return problems


def _commit_problems(table: str, log: _Log, version: int, name: str, first: bool) -> list[Problem]:
    """A commit must be JSON lines of action objects; version 0 (with no checkpoint) must hold the
    protocol and metadata; a commit announcing N added files (commitInfo) must hold N ``add`` actions."""
    try:
        data = log.read(name)
    except Exception as exc:
        return [Problem(table, "unreadable", f"cannot read commit {name}: {first_line(exc)}")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [Problem(table, "corrupt_commit", f"commit {name} is corrupt: not UTF-8 text")]
    actions: dict[str, int] = {}
    metrics: dict[str, Any] = {}
    lines = [line for line in text.split("\n") if line.strip()]
    for number, line in enumerate(lines, 1):
        try:
            action = json.loads(line)
        except json.JSONDecodeError as exc:
            where = "its last line" if number == len(lines) else f"line {number}"
            return [
                Problem(
                    table,
                    "corrupt_commit",
                    f"commit {name} is truncated or corrupt: {where} is not JSON ({exc.msg})",
                )
            ]
        if not isinstance(action, dict) or len(action) != 1:
            return [Problem(table, "corrupt_commit", f"commit {name}: line {number} is not a Delta action")]
        kind = next(iter(action))
        actions[kind] = actions.get(kind, 0) + 1
        if kind == "commitInfo" and isinstance(action[kind], dict):
            metrics = action[kind].get("operationMetrics") or {}
    if not lines:
        return [Problem(table, "empty_commit", f"commit {name} holds no action (blank lines only)")]
    if version == 0 and first and not {"protocol", "metaData"} <= set(actions):
        return [Problem(table, "corrupt_commit", f"commit {name} lacks the table's protocol or metadata")]
    for metric, kind in (("num_added_files", "add"), ("num_removed_files", "remove")):
        announced = metrics.get(metric)
        if isinstance(announced, int) and actions.get(kind, 0) < announced:
            return [
                Problem(
                    table,
                    "corrupt_commit",
                    f"commit {name} is truncated: its commitInfo announces {announced} {kind} actions, "
                    f"it holds {actions.get(kind, 0)}",
                )
            ]
    return []


def _open_problems(lake: Lake, table: str) -> list[Problem]:
    """What delta-rs itself says when it replays the log (the files looked sound)."""
    from deltalake import DeltaTable

    try:
        DeltaTable(lake.table_uri(table), storage_options=lake.storage_options or None)
    except Exception as exc:
        return [Problem(table, "unreadable", f"delta-rs cannot read the log: {first_line(exc)[:300]}")]
    return []


def _ranges(versions: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``versions 3-5, 9``."""
    spans: list[list[int]] = []
    for v in versions:
        if spans and v == spans[-1][1] + 1:
            spans[-1][1] = v
        else:
            spans.append([v, v])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans[:5])
    more = f" and {len(spans) - 5} more ranges" if len(spans) > 5 else ""
    return f"version{'s' * (len(versions) > 1)} {text}{more}"


def damaged_logs(lake: LakeLike) -> list[Problem]:
    """The log problems of every table present: files and the commits readers replay, no data read.

    What ``facetrack run`` checks before it detects anything: publishing on top of a damaged log would
    build new versions on a table that has silently lost rows.
    """
    lake = Lake.of(lake)
    problems: list[Problem] = []
    for table in _tables_present(lake):
        problems += log_problems(lake, table, full=False)[0]
    return problems


# --- leftovers and incomplete videos -------------------------------------------------------------------


def _video_counts(lake: Lake, table: str) -> dict[str, tuple[int, int | None]] | None:
    """``video_id -> (rows, max(event_count))`` of a table (``event_count`` only for ``videos``), None when
    the table cannot be read (its log problem is reported already). DataFusion aggregates: memory grows
    with the number of videos, not of rows."""
    import pyarrow as pa
    from deltalake import QueryBuilder

    extra = "max(event_count)" if table == "videos" else "NULL"
    query = f"SELECT video_id, count(*) AS n, {extra} AS expected FROM {table} GROUP BY video_id"
    try:
        reader = QueryBuilder().register(table, lake.open(table)).execute(query)
        batches = list(pa.RecordBatchReader.from_stream(reader))
    except Exception:
        return None
    counts: dict[str, tuple[int, int | None]] = {}
    for batch in batches:
        columns = batch.to_pydict()
        for vid, rows, expected in zip(columns["video_id"], columns["n"], columns["expected"], strict=True):
            counts[str(vid)] = (int(rows), None if expected is None else int(expected))
    return counts


def leftovers(lake: LakeLike) -> tuple[list[Problem], int]:
    """Child rows of videos with no ``videos`` row (one problem per table and video), ``videos`` rows
    that are duplicated or whose ``face_events`` are not all there; and how many videos are published.

    On a lake whose ``videos`` log lost a commit, the lost video shows up here as leftovers.
    """
    lake = Lake.of(lake)
    published = _video_counts(lake, "videos") if lake.exists("videos") else None
    if published is None:
        return [], 0
    problems = [
        Problem("videos", "duplicate", f"video {vid} has {rows} videos rows")
        for vid, (rows, _) in sorted(published.items())
        if rows > 1
    ]
    for table in CHILD_TABLES:
        counts = _video_counts(lake, table) if lake.exists(table) else None
        if counts is None:
            continue
        for vid, (rows, _) in sorted(counts.items()):
            if vid not in published:
                problems.append(
                    Problem(
                        table,
                        "leftover",
                        f"{rows} row{'s' * (rows != 1)} of video {vid} with no videos row (an interrupted "
                        "publish, or one in flight; publishing the video again replaces them)",
                    )
                )
        if table == "face_events":
            for vid, (_, expected) in sorted(published.items()):
                found = counts.get(vid, (0, None))[0]
                if expected is not None and found != expected:
                    problems.append(
                        Problem(
                            table,
                            "incomplete",
                            f"video {vid} has {found} rows, its videos row says {expected} (event_count)",
                        )
                    )
    return problems, len(published)


# --- runs ----------------------------------------------------------------------------------------------


def _running_rows(lake: Lake) -> list[dict[str, Any]]:
    if not lake.exists("runs"):
        return []
    try:
        rows = lake.open("runs").to_pyarrow_table(filters=[("status", "=", "running")])
    except LakeError:
        return []  # the log's problem is reported already
    return list(rows.to_pylist())


def _stale(row: dict[str, Any], now: datetime, stale_hours: float) -> str | None:
    """Why a 'running' row looks dead, or None while it looks alive: its heartbeat stopped, or (a row from
    before the heartbeat) it started more than ``stale_hours`` ago."""
    beat: datetime | None = row.get("updated_at")
    if beat is not None:
        silent = now - beat
        if silent <= timedelta(seconds=HEARTBEAT_STALE_SECONDS):
            return None
        return (
            f"no heartbeat since {beat:%Y-%m-%d %H:%M} UTC ({silent.total_seconds() / 60:.0f} min; a live "
            f"run beats every {HEARTBEAT_SECONDS / 60:g} min)"
        )
    age = now - row["started_at"]
    if age <= timedelta(hours=stale_hours):
        return None
    return (
        f"started {row['started_at']:%Y-%m-%d %H:%M} UTC ({age.total_seconds() / 3600:.1f} h ago, more than "
        f"{stale_hours:g} h; a row without a heartbeat, judged by started_at)"
    )


def stuck_runs(
    lake: LakeLike, stale_hours: float = DEFAULT_STALE_HOURS, now: datetime | None = None
) -> tuple[list[Problem], int]:
    """``runs`` rows still ``running`` that look dead (``_stale``: one problem each), and how many are
    running and alive."""
    lake = Lake.of(lake)
    now = now or datetime.now(UTC)
    problems: list[Problem] = []
    alive = 0
    for row in _running_rows(lake):
        why = _stale(row, now, stale_hours)
        if why is None:
            alive += 1
            continue
        problems.append(
            Problem(
                "runs",
                "stuck_run",
                f"run {row['run_id']} on {row['hostname']} still 'running', {why}: its process died? "
                "--repair-runs marks it abandoned",
            )
        )
    return problems, alive


def abandon_runs(
    lake: LakeLike, stale_hours: float = DEFAULT_STALE_HOURS, now: datetime | None = None
) -> list[str]:
    """Rewrite the stale ``running`` rows as ``abandoned`` (replaced by run_id, as a run writes its own
    row); returns one line per run. A run that was alive after all overwrites it with its own outcome."""
    lake = Lake.of(lake)
    now = now or datetime.now(UTC)
    done = []
    for row in _running_rows(lake):
        why = _stale(row, now, stale_hours)
        if why is None:
            continue
        note = f"abandoned by lake check at {now:%Y-%m-%d %H:%M} UTC: {why}"
        row = {**row, "status": ABANDONED, "error": "\n".join(filter(None, [row.get("error"), note]))}
        write_run_row(lake, row)
        done.append(
            f"runs: run {row['run_id']} marked {ABANDONED} (started {row['started_at']:%Y-%m-%d %H:%M} UTC)"
        )
    return done


# --- everything ----------------------------------------------------------------------------------------


def check_lake(
    lake: LakeLike = None,
    stale_hours: float = DEFAULT_STALE_HOURS,
    repair_runs: bool = False,
    now: datetime | None = None,
) -> CheckReport:
    """Every check: all logs in full, leftovers, stuck runs (repaired when asked). Raises ``LakeError``
    when there is no lake at all."""
    lake = Lake.of(lake)
    tables = _tables_present(lake)
    if not any(t in lake_schema.SCHEMAS for t in tables):
        raise LakeError(f"no lake at {lake.root}")
    report = CheckReport(tables=len(tables))
    for table in tables:
        problems, commits = log_problems(lake, table, full=True)
        report.problems += problems
        report.commits += commits
    try:
        outdated = outdated_tables(lake)
    except LakeError:
        outdated = {}  # a table that cannot be opened: its log's problem is reported already
    report.problems += [
        Problem(
            table,
            "outdated",
            f"columns of an older facetrack ({', '.join(old)}): run `facetrack lake migrate`",
        )
        for table, old in outdated.items()
    ]
    found, report.videos = leftovers(lake)
    report.problems += found
    if repair_runs and not any(p.table == "runs" for p in report.problems):
        report.repaired = abandon_runs(lake, stale_hours, now)  # never a commit on top of a damaged log
    found, report.running = stuck_runs(lake, stale_hours, now)
    report.problems += found
    return report
