"""onnxruntime sessions for every model: the cores this process may use, GPU providers first when installed.

The detector and the face embedder share it, so both see the same threads and execution providers, and
neither spins its idle threads on cores the other (or the decode thread) needs.
"""

from __future__ import annotations

import os
from typing import Any


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def onnx_session(model: bytes, threads: int | None = None, providers: list[str] | None = None) -> Any:
    """An onnxruntime session on the cores this process may use, GPU providers first when installed."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_cores()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: the decode thread and the other model's session
    # need those cores between runs (measured: 1080p 65 -> 89 frames/s, the face embedder 37 -> 19 ms a
    # face on 2 cores).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    chosen = providers or preferred_providers(ort.get_available_providers())
    return ort.InferenceSession(model, sess_options=options, providers=chosen)


def preferred_providers(available: list[str]) -> list[str]:
    """GPU providers first when installed; the CPU provider always last as the fallback."""
    # TensorRT is left out on purpose: it builds an engine per input shape, minutes for each new size.
    preferred = ("CUDAExecutionProvider", "ROCMExecutionProvider", "DmlExecutionProvider",
                 "CoreMLExecutionProvider")  # fmt: skip
    chosen = [p for p in preferred if p in available]
    return [*chosen, "CPUExecutionProvider"]
