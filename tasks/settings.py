"""settings: the defaults a user can change, in one place the CLI shows them from.

Kept free of numpy, pyarrow and friends so ``--help`` can show every default without importing them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DetectorSettings:
    """Everything that changes what the engine outputs; stored with each video so results are explainable."""

    threshold: float = 0.5
    # Chosen by bench/accuracy.py and bench/speed.py on the dev corpus (README: "Options and defaults"):
    # 480 px keeps FDDB at full-resolution recall; detecting every 2nd frame doubles speed for ~1 % recall.
    input_size: int = 480  # long side, in pixels, of the image the detector sees
    detect_every: int = 2
    # Fine passes (models.detector.schedule): tiles and regions at up to this long side, in pixels, find
    # the faces too small for input_size; 0 = none (the detector sees only input_size).
    fine_size: int = 1920
    scan_seconds: float = 4.0  # the fine tiles cover the whole frame once in this time
    min_face: int = 0  # pixels (shorter box side) in the stored frame; 0 = keep all
    fragment_seconds: float = 2.0
    model_name: str = "centerface"
    model_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# SQL: Apache DataFusion (through deltalake) by default, chosen on measurements (tasks.query.sql).
SQL_ENGINES = ("datafusion", "duckdb", "polars")
DEFAULT_SQL_ENGINE = "datafusion"
SQL_FORMATS = ("table", "csv", "json", "parquet")

# Lake vacuum: removed files are kept a week, so time travel (`sql --as-of`) reaches back that far; never
# under an hour, which would delete the files of a publish still in flight.
DEFAULT_RETAIN_HOURS = 168.0
MIN_RETAIN_HOURS = 1.0


def quiet_object_store_logs(environ: dict[str, str] | None = None) -> None:
    """Keep delta-rs's Rust log to errors unless ``RUST_LOG`` says otherwise.

    Without it, an S3 lake without credentials prints ~10 ``WARN aws_config … IMDS`` lines (the AWS SDK
    trying the EC2 instance metadata service for a region and credentials) before the one-line error.
    The Rust logger reads ``RUST_LOG`` once, when deltalake is first imported, so this runs before that;
    IMDS itself stays enabled (it is how an EC2 instance role gets credentials; set
    ``AWS_EC2_METADATA_DISABLED=true`` off EC2 to skip the probe).
    """
    env = os.environ if environ is None else environ
    if "deltalake" not in sys.modules:
        env.setdefault("RUST_LOG", "error")
