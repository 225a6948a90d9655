"""The README's example outputs, produced afresh by running the commands they show.

    uv run python bench/readme_examples.py [--write [--retime] | --check] [--only NAME ...] [--corpus DIR]
                                           [--keep DIR]

Each example output block of README.md sits between ``<!-- example: NAME -->`` and ``<!-- /example -->``;
this script knows how to make each one and prints it (``--only`` picks some). With ``--write`` it puts the
fresh output between the markers of each stale block (the fence line and everything outside the markers
are kept); with ``--check`` it exits 1 when a block is stale. A block is stale when it differs from the
fresh output after masking (below): one that differs only in timings is left as it is (``--retime``
rewrites it too, for figures measured on an idle machine).

Where the outputs come from, all made under a temporary folder (``--keep DIR`` keeps them there):

- ``demo``: ``facetrack demo`` run in ``<tmp>/facetrack``, the folder shown as ``~/facetrack``;
- ``run``: ``facetrack run a.mp4 broken.mp4 --lake ./lake`` in ``<tmp>/run``, where ``a.mp4`` is the demo
  video and ``broken.mp4`` 1 412 bytes of text; the folder is shown as ``.``;
- ``import``: ``facetrack import`` of Microsoft's Face Detector, Redactor and aggregate-emotion samples
  (``tests/support/azure_samples.py``) in ``<tmp>/import``, shown as ``.``;
- ``sql-*``, ``history``, ``time-travel``, ``formats``: the SQL section's queries on a lake of the seven
  development clips the README names (``../shared/data/corpus/dev/tracking``, or ``--corpus DIR``),
  published by one ``facetrack run --run-id docs-example --no-report`` and then ``facetrack lake
  optimize``. A ``sql-*`` block's query is the README's own ``sql`` block just before its marker, so the
  query shown is the query run. Without the corpus these are skipped (the prose names those clips).

Every command runs as a separate ``facetrack`` process without a Prefect server (``PREFECT_API_URL`` is
removed), exactly as written in the README (``uv run facetrack`` runs the environment's ``facetrack``),
its stdout and stderr in one stream. One thing is shortened as the README shows it: an engine error's
list of every column of a table keeps its first and last (``Valid fields are a, ... z.``).

Deterministic enough: detection is deterministic on one machine, so frames, events, ids and every SQL
answer repeat. What varies between runs is masked before comparing (a stale block is written with the
values measured in this run): seconds (``9.7 s``), run ids (``run-20261201T…``, ``(run 0c2f…)``),
timestamps (ISO 8601), the runs table's fps and seconds columns, and the spacing of table columns,
which follows the widths of those values.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
CORPUS = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "corpus", "dev", "tracking"))
CORPUS_CLIPS = (
    "faceocc2",
    "syn_dlib_test_pan",
    "syn_dlib_zoom",
    "ytf_Aaron_Guiel_5",
    "ytf_Agbani_Darego_0",
    "ytf_Aishwarya_Rai_0",
    "ytf_Albert_Brooks_0",
)
RUN_ID = "docs-example"
TIME_TRAVEL_QUERY = "SELECT count(*) AS videos, sum(event_count) AS face_events FROM videos"
IMPORT_QUERY = (
    "SELECT v.file_name, e.face_id, e.frame_index, e.time_seconds, e.y, e.height, e.confidence, e.imported "
    "FROM face_events e JOIN videos v USING (video_id) ORDER BY 1, 2, 3"
)
CSV_QUERY = "SELECT file_name, faces_detected FROM videos ORDER BY faces_detected DESC LIMIT 2"
MARKER = re.compile(r"<!-- example: (?P<name>[\w-]+) -->\n(?P<body>.*?)<!-- /example -->", re.DOTALL)
SQL_BLOCK = re.compile(r"```sql\n(?P<query>.*?)```", re.DOTALL)
# Shortened as the README shows them: the engine's list of every column of a table, first and last kept.
ABRIDGE = ((r"(Valid fields are [^,\n]+), [^\n]*, ([^,\n]+\.)$", r"\1, ... \2"),)
FACETRACK = os.path.join(os.path.dirname(sys.executable), "facetrack")


@dataclass
class Place:
    """Where an example's commands run, and how its paths are shown."""

    cwd: str
    env: dict[str, str] = field(default_factory=dict)
    shown_as: dict[str, str] = field(default_factory=dict)  # path prefix -> what the README shows


@dataclass
class Example:
    name: str
    place: str  # "demo" | "run" | "corpus" | "import"
    commands: tuple[str, ...] = ()  # shell lines as shown ("$ ..."), each followed by its output
    sql: bool = False  # the output of the README's sql block before the marker, no "$" line


EXAMPLES = (
    Example("demo", "demo", ("uv run facetrack demo",)),
    Example("run", "run", ("facetrack run a.mp4 broken.mp4 --lake ./lake",)),
    Example(
        "import",
        "import",
        (
            "facetrack import street_annotations.json interview_facedetection.json --lake ./lake --no-report",
            'facetrack import emotion.json --lake ./lake; echo "exit $?"',
            f'facetrack sql "{IMPORT_QUERY}" --lake ./lake',
        ),
    ),
    Example("history", "corpus", ("facetrack lake history --limit 3",)),
    *(
        Example(f"sql-{name}", "corpus", sql=True)
        for name in (
            "per-video",
            "screen-time",
            "over-1s",
            "crowded",
            "sizes",
            "timeline",
            "runs",
            "leftovers",
        )
    ),
    Example(
        "time-travel",
        "corpus",
        (
            f'facetrack sql "{TIME_TRAVEL_QUERY}" --as-of 3',
            f'facetrack sql "{TIME_TRAVEL_QUERY}"',
        ),
    ),
    Example(
        "formats",
        "corpus",
        (
            f'facetrack sql "{CSV_QUERY}" -f csv',
            'facetrack sql "SELECT nope FROM videos"; echo "exit $?"',
        ),
    ),
)


def sh(line: str, place: Place) -> str:
    """Run a README shell line (``uv run facetrack`` is this environment's ``facetrack``); its output,
    stdout and stderr together, with the place's paths shown as the README shows them."""
    command = line.replace("uv run facetrack", "facetrack")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "FACETRACK_"))}
    env.update(place.env)
    env["PATH"] = os.path.dirname(FACETRACK) + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "200"
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=place.cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, in the order a terminal shows them
        text=True,
        check=False,
    )
    text = done.stdout
    for prefix, shown in sorted(place.shown_as.items(), key=lambda item: -len(item[0])):
        text = text.replace(prefix, shown)
    for pattern, replacement in ABRIDGE:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    return text.rstrip()


def facetrack(*args: str, place: Place) -> str:
    line = "facetrack " + " ".join(shlex.quote(a) for a in args)
    return sh(line, place)


def make_demo(work: str) -> Place:
    home = os.path.join(work, "facetrack")
    os.makedirs(home, exist_ok=True)
    return Place(home, shown_as={work: "~"})


def make_run(work: str, demo: Place) -> Place:
    """a.mp4 (the demo video, made by the demo example) and a broken file."""
    folder = os.path.join(work, "run")
    os.makedirs(folder, exist_ok=True)
    video = os.path.join(demo.cwd, "facetrack-data", "demo", "demo.mp4")
    if not os.path.exists(video):
        sh("facetrack demo", demo)
    shutil.copyfile(video, os.path.join(folder, "a.mp4"))
    with open(os.path.join(folder, "broken.mp4"), "wb") as handle:
        handle.write((b"this is not a video, just text named .mp4\n" * 40)[:1412])
    return Place(folder, shown_as={folder + "/": "./", folder: "."})


def make_import(work: str) -> Place:
    """Microsoft's Face Detector, Redactor and aggregate-emotion samples as files (the values of
    ``../shared/format/azure-samples.md``, completed as the tests complete them)."""
    import json

    sys.path.insert(0, ROOT)
    from tests.support.azure_samples import aggregate_emotion_sample, face_detector_sample, redactor_sample

    folder = os.path.join(work, "import")
    os.makedirs(folder, exist_ok=True)
    samples = {
        "street_annotations.json": redactor_sample(),
        "interview_facedetection.json": face_detector_sample(),
        "emotion.json": aggregate_emotion_sample(),
    }
    for name, document in samples.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
    return Place(folder, shown_as={folder + "/": "./", folder: "."})


def make_corpus(work: str, corpus: str) -> Place:
    """The seven development clips in one lake: one run, then optimize (the history example shows it)."""
    folder = os.path.join(work, "corpus")
    os.makedirs(folder, exist_ok=True)
    lake = os.path.join(folder, "lake")
    place = Place(folder, env={"FACETRACK_LAKE": lake}, shown_as={folder + "/": "./"})
    videos = [os.path.join(corpus, f"{clip}.mp4") for clip in CORPUS_CLIPS]
    missing = [v for v in videos if not os.path.exists(v)]
    if missing:
        raise SystemExit(f"corpus clip(s) missing: {', '.join(missing)}")
    if not os.path.isdir(lake):
        print(f"publishing {len(videos)} corpus clips to {lake} (minutes) ...", file=sys.stderr)
        print(facetrack("run", *videos, "--run-id", RUN_ID, "--no-report", place=place), file=sys.stderr)
        print(facetrack("lake", "optimize", place=place), file=sys.stderr)
    return place


def render(example: Example, place: Place, readme: str) -> str:
    """The example's block content (without fences), fresh."""
    if example.sql:
        query = sql_before_marker(readme, example.name)
        return facetrack("sql", query.strip(), place=place)
    parts = []
    for line in example.commands:
        parts.append(f"$ {line}\n{sh(line, place)}")
    return "\n".join(parts)


def sql_before_marker(readme: str, name: str) -> str:
    """The README's ``sql`` block just before the example's marker."""
    at = readme.index(f"<!-- example: {name} -->")
    blocks = list(SQL_BLOCK.finditer(readme, 0, at))
    if not blocks or readme[blocks[-1].end() : at].strip():
        raise SystemExit(f"README: example {name} has no sql block right before its marker")
    return blocks[-1].group("query")


def replace_block(readme: str, name: str, content: str) -> str:
    """The README with the fenced block between the example's markers holding ``content``."""
    for match in MARKER.finditer(readme):
        if match.group("name") != name:
            continue
        fence = match.group("body").split("\n", 1)[0]
        if not fence.startswith("```"):
            raise SystemExit(f"README: example {name} does not start with a fenced block")
        block = f"{fence}\n{content}\n```\n"
        start, end = match.span("body")
        return readme[:start] + block + readme[end:]
    raise SystemExit(f"README: no <!-- example: {name} --> marker")


def current_block(readme: str, name: str) -> str | None:
    for match in MARKER.finditer(readme):
        if match.group("name") == name:
            return match.group("body").split("\n", 1)[1].rsplit("```", 1)[0].rstrip()
    return None


MASKS: tuple[tuple[str, str], ...] = (
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", "<time>"),
    (r"run-\d{8}T\d{6}Z-[0-9a-f]{8}", "<run>"),
    (r"\(run [^)]*\)", "(run <run>)"),
    (r"\b\d+(\.\d+)? s\b", "<n> s"),
)


def masked(name: str, text: str) -> str:
    for pattern, shown in MASKS:
        text = re.sub(pattern, shown, text)
    if name == "sql-runs":  # fps and seconds, the last two columns
        text = re.sub(r"\|\s*[\d.]+\s*\|\s*[\d.]+\s*$", "| <fps> | <s>", text, flags=re.MULTILINE)
    text = re.sub(r"-{2,}", "-", text)
    return "\n".join(re.sub(r"\s+", " ", line).strip() for line in text.splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the README's example blocks")
    mode.add_argument("--check", action="store_true", help="exit 1 if a block is stale (masked compare)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="these examples only")
    parser.add_argument(
        "--retime", action="store_true", help="with --write: also rewrite blocks that differ only in timings"
    )
    parser.add_argument("--corpus", default=CORPUS, help="the development clips (default: %(default)s)")
    parser.add_argument("--keep", metavar="DIR", help="make everything in DIR and keep it (reused)")
    args = parser.parse_args(argv)

    examples = [e for e in EXAMPLES if not args.only or e.name in args.only]
    unknown = set(args.only or ()) - {e.name for e in EXAMPLES}
    if unknown:
        parser.error(f"unknown example(s) {', '.join(sorted(unknown))}")
    with open(README, encoding="utf-8") as handle:
        readme = handle.read()
    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="facetrack-readme-")
    os.makedirs(work, exist_ok=True)
    have_corpus = os.path.isdir(args.corpus)
    places: dict[str, Place] = {}
    makers: dict[str, Callable[[], Place]] = {
        "demo": lambda: make_demo(work),
        "run": lambda: make_run(work, place_of("demo")),
        "corpus": lambda: make_corpus(work, args.corpus),
        "import": lambda: make_import(work),
    }

    def place_of(kind: str) -> Place:
        if kind not in places:
            places[kind] = makers[kind]()
        return places[kind]

    stale = 0
    outputs: dict[str, str] = {}
    try:
        for example in examples:
            if example.place == "corpus" and not have_corpus:
                print(f"# {example.name}: skipped, no corpus at {args.corpus}", file=sys.stderr)
                continue
            fresh = render(example, place_of(example.place), readme)
            print(f"# --- {example.name}\n{fresh}\n")
            old = current_block(readme, example.name)
            if old is None:
                print(f"# {example.name}: no marker in README.md", file=sys.stderr)
                stale += 1
            elif masked(example.name, old) != masked(example.name, fresh):
                print(f"# {example.name}: README block is stale", file=sys.stderr)
                stale += 1
                outputs[example.name] = fresh  # only stale blocks are rewritten: no churn of timings
            elif args.retime:
                outputs[example.name] = fresh
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.write:  # the README as it is now (others may have edited it meanwhile), then these blocks
        with open(README, encoding="utf-8") as handle:
            readme = handle.read()
        for name, fresh in outputs.items():
            readme = replace_block(readme, name, fresh)
        with open(README, "w", encoding="utf-8") as handle:
            handle.write(readme)
        print(f"README.md: {len(outputs)} example block(s) written", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
