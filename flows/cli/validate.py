"""``facetrack validate``: re-validate published videos against the current suites, rebuild the data docs.

GX and the lake libraries are imported inside the command so ``facetrack --help`` stays instant.
"""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli.app import app
from flows.cli.options import LakeOption


@app.command()
def validate(
    lake: LakeOption = None,
    video_ids: Annotated[
        list[str] | None,
        typer.Option("--video-id", help="Only this video (id or its first 6+ hex digits; repeatable)."),
    ] = None,
    docs: Annotated[bool, typer.Option("--docs/--no-docs", help="Rebuild the GX data docs.")] = True,
) -> None:
    """Re-validate published videos against the suites in expectations/ and rebuild the data docs.

    Results are appended to the lake's validations table and rendered under <lake>/docs/. Exit code 1
    if any published video fails the current suites; nothing is unpublished.
    """
    from tasks.errors import ValidationFailed
    from tasks.lake.store import Lake
    from tasks.validate.check import ValidationOutcome
    from tasks.validate.revalidate import revalidate

    target = Lake.resolve(lake)

    def line(outcome: ValidationOutcome) -> None:
        verdict = "ok    " if outcome.success else "FAILED"
        detail = "" if outcome.success else f"  {outcome.reason}"
        print(f"{verdict} {outcome.video_id[:12]}  {outcome.seconds:.2f} s{detail}", flush=True)

    report = revalidate(target, video_ids, build_docs=docs, progress=line)
    total, failed = len(report.outcomes), len(report.failed)
    print(f"validated {total} video(s) in {report.seconds:.1f} s: {total - failed} passed, {failed} failed")
    if report.docs_index:
        print(f"data docs: {report.docs_index}")
    if report.failed:
        raise ValidationFailed(
            f"{failed} of {total} published video(s) fail the current suites"
            f" (results in the validations table, run id {report.run_id})"
        )
