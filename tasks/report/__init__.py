"""report: one self-contained HTML page per video, to judge the face results by looking at them.

The page shows the video's facts, a gallery of one thumbnail per face id, a timeline of who is on screen
when, a contact sheet of frames with the boxes drawn, and the validation outcome; every picture is
embedded, nothing is fetched, no script runs, so it opens offline and from object storage.
"""

from tasks.report.render import ReportResult, render_report, write_report
from tasks.report.sources import report_from_json, report_from_lake

__all__ = ["ReportResult", "render_report", "report_from_json", "report_from_lake", "write_report"]
