"""lake_index: one page listing every published video of a lake, newest first, with links to the reports.

Each row has the video's name and id, its face count (``faces`` rows), its screen time (the sum of its
faces' ``screen_seconds``: two faces on screen together count twice), its duration and when it was
processed, and a link to its report when one exists: ``facetrack run`` writes ``<stem>.report.html``
beside each JSON (``videos.json_path`` with ``.faces.json`` replaced). Links are relative to the
index's folder, so the lake can be moved or served as it is; a report on another file system than the
index (an object store's, for a local index) is named, not linked. Like a video's report, the page is
one file with inline CSS, no script and no absolute URL, and every value from the lake is escaped.
"""

from __future__ import annotations

import os
import posixpath
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tasks.errors import LakeError, first_line
from tasks.lake.store import Lake, arrow_filesystem, is_uri, written_at
from tasks.report.html import esc, note, page, relative_href, section
from tasks.report.render import write_report
from tasks.report.sources import default_report_path
from tasks.status import VideoStatus

INDEX_DIR = "reports"
INDEX_NAME = "index.html"

INDEX_CSS = """
table.videos{border-collapse:collapse;background:#fff;border:1px solid #ddd}
table.videos th,table.videos td{padding:4px 10px;border-bottom:1px solid #eee;text-align:left}
table.videos th{background:#f0f0f0;font-weight:600}table.videos td.num{text-align:right}
table.videos td.id{font-family:ui-monospace,monospace;font-size:12px;color:#555}
"""


@dataclass(frozen=True)
class IndexEntry:
    """One published video as the index lists it."""

    video_id: str
    file_name: str
    faces: int
    screen_seconds: float
    duration_seconds: float
    processed_at: datetime | None
    report: str | None  # where its report is (path or URI), when one exists
    href: str | None  # the report relative to the index, when the index can link to it


@dataclass(frozen=True)
class IndexResult:
    path: str
    videos: int
    reports: int  # rows with a link to a report
    size_bytes: int
    seconds: float


def default_index_path(lake: Lake) -> str:
    """``<lake>/reports/index.html``: with the lake, beside the per-video reports' folder (``json/``)."""
    return lake.path(INDEX_DIR, INDEX_NAME)


def read_entries(lake: Lake, index_path: str) -> list[IndexEntry]:
    """The published videos, newest first (``processed_at``; the id breaks ties), with their reports."""
    import polars as pl

    videos = _table(lake, "videos", ["video_id", "file_name", "status", "duration_seconds",
                                     "processed_at", "json_path", "faces_detected"])  # fmt: skip
    if videos is None:
        return []
    videos = (
        videos.filter(pl.col("status") == str(VideoStatus.PUBLISHED))
        .sort("processed_at", nulls_last=False)
        .unique("video_id", keep="last", maintain_order=True)
    )
    faces = _table(lake, "faces", ["video_id", "screen_seconds"])
    if faces is not None:
        totals = faces.group_by("video_id").agg(
            pl.len().alias("face_rows"), pl.col("screen_seconds").sum().alias("screen_total")
        )
        videos = videos.join(totals, on="video_id", how="left")
    else:
        videos = videos.with_columns(pl.lit(None).alias("face_rows"), pl.lit(None).alias("screen_total"))
    videos = videos.sort(["processed_at", "video_id"], descending=True, nulls_last=True)
    rows = list(videos.iter_rows(named=True))
    reports = [default_report_path(r["json_path"]) if isinstance(r["json_path"], str) else None for r in rows]
    present = _existing(reports, lake)
    return [
        IndexEntry(
            video_id=str(row["video_id"]),
            file_name=str(row["file_name"]),
            faces=int(row["face_rows"] if row["face_rows"] is not None else row["faces_detected"] or 0),
            screen_seconds=float(row["screen_total"] or 0.0),
            duration_seconds=float(row["duration_seconds"] or 0.0),
            processed_at=row["processed_at"],
            report=report if report in present else None,
            href=_href(report, index_path) if report in present else None,
        )
        for row, report in zip(rows, reports, strict=True)
    ]


def index_html(entries: list[IndexEntry], lake: Lake, docs_href: str | None = None) -> str:
    """The page: a table of the videos, and a link to the data docs when they are there."""
    total_faces = sum(e.faces for e in entries)
    summary = (
        f"{len(entries)} published video{'' if len(entries) == 1 else 's'}, {total_faces} face ids, "
        f"{_duration(sum(e.duration_seconds for e in entries))} of video; newest first."
    )
    head = (
        "<tr><th>processed</th><th>video</th><th>faces</th><th>screen time</th><th>duration</th>"
        "<th>report</th><th>video id</th></tr>"
    )
    body = "".join(_row(entry) for entry in entries)
    table = f'<table class="videos"><thead>{head}</thead><tbody>{body}</tbody></table>' if entries else ""
    parts = [f"<p>{esc(summary)}</p>", table or note("No published video in this lake yet.")]
    parts.append(note("screen time: the sum over a video's faces of the time each is on screen (two faces "
                      "on screen together count twice)."))  # fmt: skip
    if docs_href:
        parts.append(f'<p><a href="{esc(relative_href(docs_href))}">Validation results (data docs)</a></p>')
    return page(f"facetrack lake: {lake.root}", [section("videos", "Videos", "\n".join(parts))], INDEX_CSS)


def write_lake_index(lake: Lake | str | os.PathLike[str] | None, output: str | None = None) -> IndexResult:
    """Write the lake's index (default ``<lake>/reports/index.html``; on an object store it is written
    locally, then uploaded); return where it went and what it lists."""
    started = time.perf_counter()
    store = Lake.of(lake)
    out = output if output is not None else default_index_path(store)
    entries = read_entries(store, out)
    docs = store.path("docs", "index.html")
    docs_href = _href(docs, out) if docs in _existing([docs], store) else None
    text = index_html(entries, store, docs_href)
    written_at(out, lambda path: write_report(text, path), store.storage_options)
    reports = sum(e.href is not None for e in entries)
    return IndexResult(out, len(entries), reports, len(text.encode()), time.perf_counter() - started)


def _row(entry: IndexEntry) -> str:
    when = entry.processed_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if entry.processed_at else "unknown"
    if entry.href is not None:
        report = f'<a href="{esc(relative_href(entry.href))}">report</a>'
    elif entry.report is not None:
        report = esc(entry.report)
    else:
        report = '<span class="note">none</span>'
    return (
        f'<tr><td>{esc(when)}</td><td>{esc(entry.file_name)}</td><td class="num">{entry.faces}</td>'
        f'<td class="num">{esc(_duration(entry.screen_seconds))}</td>'
        f'<td class="num">{esc(_duration(entry.duration_seconds))}</td><td>{report}</td>'
        f'<td class="id" title="{esc(entry.video_id)}">{esc(entry.video_id[:12])}</td></tr>'
    )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)} min {rest:02.0f} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes):02d} min"


def _table(lake: Lake, table: str, columns: list[str]) -> Any:
    import polars as pl

    if not lake.exists(table):
        return None
    try:
        delta = lake.open(table)
        names = set(delta.schema().to_arrow().names)
        frame = pl.from_arrow(delta.to_pyarrow_table(columns=[c for c in columns if c in names]))
    except LakeError:
        raise
    except Exception as exc:
        raise LakeError(f"cannot read the {table} table of {lake.root}: {first_line(exc)}") from None
    assert isinstance(frame, pl.DataFrame)
    missing = [c for c in columns if c not in frame.columns]
    return frame.with_columns(pl.lit(None).alias(c) for c in missing) if missing else frame


def _existing(locations: list[str | None], lake: Lake) -> set[str]:
    """Those of ``locations`` that exist: local paths by ``os.path``, object URIs by one listing call."""
    found = {loc for loc in locations if loc and not is_uri(loc) and os.path.isfile(loc)}
    remote = [loc for loc in locations if loc and is_uri(loc)]
    if remote:
        try:
            fs, _ = arrow_filesystem(remote[0], lake.storage_options)
            infos = fs.get_file_info([u.split("://", 1)[1] for u in remote])
        except (OSError, ValueError):
            return found  # unreachable: listed without links, the pages are not lost
        import pyarrow.fs as pafs

        found.update(u for u, info in zip(remote, infos, strict=True) if info.type == pafs.FileType.File)
    return found


def _href(target: str, index_path: str) -> str | None:
    """``target`` relative to the index's folder, when both are on the same file system."""
    if is_uri(target) != is_uri(index_path):
        return None
    if not is_uri(target):
        return os.path.relpath(os.path.abspath(target), os.path.dirname(os.path.abspath(index_path)))
    (scheme, rest), (index_scheme, index_rest) = target.split("://", 1), index_path.split("://", 1)
    bucket, key = rest.split("/", 1) if "/" in rest else (rest, "")
    index_bucket, index_key = index_rest.split("/", 1) if "/" in index_rest else (index_rest, "")
    if (scheme, bucket) != (index_scheme, index_bucket):
        return None
    return posixpath.relpath("/" + key, "/" + (posixpath.dirname(index_key)))
