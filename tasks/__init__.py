"""facetrack's steps as plain functions, in packages that follow the data::

    video (probe, decode) → detect (detect + track) → document (the JSON) → lake (normalize, publish)
          → validate (the Great Expectations gate) → query (SQL); pipeline runs them in order

Everything a Python user needs is importable from here, e.g.::

    from tasks import Lake, detect_track, run_sql, run_videos

    result = detect_track("clip.mp4")                 # a VideoResult: every face event, with ids
    run_videos(["clip.mp4"], Lake.resolve("./lake"))  # JSON, validation, publish, like `facetrack run`
    import_files(["clip_annotations.json"], Lake.resolve("./lake"))  # Azure's JSON, like `facetrack import`
    print(run_sql(Lake.resolve("./lake"), "SELECT count(*) FROM faces"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tasks.exports import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time __getattr__ imports each name on first use
    from tasks.azure_import import import_files
    from tasks.detect.detect_track import detect_track
    from tasks.detect.result import VideoResult
    from tasks.document.azure import AzureFaces, read_azure_file
    from tasks.document.build import build_document
    from tasks.document.contract import load_checked_document, violations
    from tasks.document.write import write_json_atomic
    from tasks.errors import (
        BadInputError,
        ContractError,
        FacetrackError,
        LakeError,
        QueryError,
        ValidationFailed,
    )
    from tasks.lake.batch import VideoBatch
    from tasks.lake.normalize import normalize
    from tasks.lake.publish import delete_video, publish_batch
    from tasks.lake.store import Lake
    from tasks.pipeline import RunSummary, VideoJob, VideoOutcome, process_video, run_videos
    from tasks.query.render import stream_result, write_result
    from tasks.query.sql import run_sql, stream_sql
    from tasks.settings import DetectorSettings
    from tasks.status import RunStatus, VideoStatus
    from tasks.validate.check import ValidationOutcome, validate_batch
    from tasks.validate.gate import audit_and_publish, replay_quarantined
    from tasks.validate.quarantine import load_quarantined_batch, quarantined_video_ids
    from tasks.validate.revalidate import revalidate
    from tasks.video.content_id import video_id
    from tasks.video.probe import VideoInfo, probe
    from tasks.video.shots import Shot

_SOURCES = {
    "import_files": "tasks.azure_import",
    **dict.fromkeys(["AzureFaces", "read_azure_file"], "tasks.document.azure"),
    "VideoResult": "tasks.detect.result",
    "detect_track": "tasks.detect.detect_track",
    "build_document": "tasks.document.build",
    "load_checked_document": "tasks.document.contract",
    "violations": "tasks.document.contract",
    "write_json_atomic": "tasks.document.write",
    **dict.fromkeys(
        ["BadInputError", "ContractError", "FacetrackError", "LakeError", "QueryError", "ValidationFailed"],
        "tasks.errors",
    ),
    "VideoBatch": "tasks.lake.batch",
    "normalize": "tasks.lake.normalize",
    **dict.fromkeys(["delete_video", "publish_batch"], "tasks.lake.publish"),
    "Lake": "tasks.lake.store",
    **dict.fromkeys(
        ["RunSummary", "VideoJob", "VideoOutcome", "process_video", "run_videos"], "tasks.pipeline"
    ),
    **dict.fromkeys(["stream_result", "write_result"], "tasks.query.render"),
    **dict.fromkeys(["run_sql", "stream_sql"], "tasks.query.sql"),
    "DetectorSettings": "tasks.settings",
    **dict.fromkeys(["RunStatus", "VideoStatus"], "tasks.status"),
    **dict.fromkeys(["ValidationOutcome", "validate_batch"], "tasks.validate.check"),
    **dict.fromkeys(["audit_and_publish", "replay_quarantined"], "tasks.validate.gate"),
    **dict.fromkeys(["load_quarantined_batch", "quarantined_video_ids"], "tasks.validate.quarantine"),
    "revalidate": "tasks.validate.revalidate",
    "video_id": "tasks.video.content_id",
    **dict.fromkeys(["VideoInfo", "probe"], "tasks.video.probe"),
    "Shot": "tasks.video.shots",
}

__getattr__ = lazy_exports(__name__, _SOURCES)
__all__ = sorted(_SOURCES)
