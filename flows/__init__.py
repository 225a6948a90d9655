"""facetrack on Prefect, and the ``facetrack`` command line.

- ``steps``: the pipeline's steps as Prefect tasks (retries for I/O, never for bad input)
- ``process_video``: the ``process-video`` flow, one video (with the inbox's rules when it came from one)
- ``batch``: many videos under one ``runs`` row, one subflow each, on a task runner
- ``process_videos``: the ``process-videos`` flow, what ``facetrack run`` runs against a server
- ``process_inbox``: the ``process-inbox`` flow, the cron sweep of an inbox
- ``maintain_lake``: the ``maintain-lake`` flow, nightly housekeeping
- ``runners``: threads, Dask or Ray for a batch
- ``inbox``: drop folders and object-store prefixes: claims, filing, the arrival watcher
- ``serve``: what ``facetrack serve`` runs: the deployments, arrivals run in its own process, sweeps
- ``cli``: the commands
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tasks.exports import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time __getattr__ imports each name on first use
    from flows.maintain_lake import maintain_lake
    from flows.process_inbox import process_inbox
    from flows.process_video import process_video
    from flows.process_videos import process_videos, run_videos_with_prefect
    from flows.serve import ServeConfig, build_deployments, serve_forever

_SOURCES = {
    "maintain_lake": "flows.maintain_lake",
    "process_inbox": "flows.process_inbox",
    "process_video": "flows.process_video",
    **dict.fromkeys(["process_videos", "run_videos_with_prefect"], "flows.process_videos"),
    **dict.fromkeys(["ServeConfig", "build_deployments", "serve_forever"], "flows.serve"),
}

__getattr__ = lazy_exports(__name__, _SOURCES)
__all__ = sorted(_SOURCES)
