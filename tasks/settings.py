"""DetectorSettings: everything that changes what the engine outputs.

Kept free of numpy and friends so the CLI can show defaults in ``--help`` without importing them.
"""

from __future__ import annotations

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
    min_face: int = 0  # pixels (shorter box side) in the stored frame; 0 = keep all
    fragment_seconds: float = 2.0
    model_name: str = "centerface"
    model_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
