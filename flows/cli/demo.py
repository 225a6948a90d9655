"""``facetrack demo``: the whole pipeline on a video made from images the dependencies ship.

A new user's first command: no sample files, no server, no network. It shows every stage's output:
the JSON, the published lake rows, the validation outcome and a SQL answer.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from flows.cli.app import app

DEMO_QUERY = """
SELECT f.face_id, f.first_seconds, f.last_seconds, f.frames_seen, f.screen_seconds,
       round(f.mean_confidence, 3) AS mean_confidence
FROM faces f JOIN videos v ON f.video_id = v.video_id
WHERE v.file_name = 'demo.mp4'
ORDER BY f.face_id
"""


@app.command()
def demo(
    workdir: Annotated[str, typer.Option("--workdir", help="Where the demo video, JSON and lake go.")] = (
        "facetrack-data/demo"
    ),
) -> None:
    """Make a short video with real faces (from scikit-image's sample images) and run the whole pipeline."""
    from flows.cli.demo_video import write_demo_video
    from flows.cli.run import run_anywhere
    from tasks.lake.store import Lake
    from tasks.query.render import render_table
    from tasks.query.sql import run_sql
    from tasks.settings import DetectorSettings
    from tasks.status import VideoStatus

    os.makedirs(workdir, exist_ok=True)
    video = write_demo_video(os.path.join(workdir, "demo.mp4"))
    lake = Lake.resolve(os.path.join(workdir, "lake"))
    typer.echo(f"demo video: {os.path.abspath(video)}")
    # With a server configured (PREFECT_API_URL) the demo runs as flows and shows up in its UI too.
    outcome = run_anywhere([video], lake, DetectorSettings(), json_dir=workdir).videos[0]
    typer.echo(outcome.line())
    if outcome.status != VideoStatus.PUBLISHED:
        raise typer.Exit(1)
    typer.echo(f"JSON:       {os.path.abspath(outcome.json_path)}")
    typer.echo(f"lake:       {lake.root}  (validated with Great Expectations, then published)")
    typer.echo(f'\n$ facetrack sql --lake {lake.root} "{" ".join(DEMO_QUERY.split())}"')
    typer.echo(render_table(run_sql(lake, DEMO_QUERY)))
