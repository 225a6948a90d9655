"""The face embedder on real faces: alignment onto the template, what video does to a face, the model file."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from models.detector import CenterFaceDetector
from models.errors import ModelFileError
from models.identity import FaceEmbedder, QualityGate, align_faces
from models.identity.alignment import ARCFACE_TEMPLATE, similarity_transform
from models.identity.sface_file import INPUT_NAME, MODEL_SHA256, load_fast_model, model_path
from tests.support.media import lfw_face


@pytest.fixture(scope="module")
def detector() -> CenterFaceDetector:
    return CenterFaceDetector(input_size=640)


@pytest.fixture(scope="module")
def embedder() -> FaceEmbedder:
    return FaceEmbedder()


def astronaut_rgb() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def embed_first_face(
    image_rgb: np.ndarray, detector: CenterFaceDetector, embedder: FaceEmbedder
) -> np.ndarray | None:
    found = detector.detect(np.ascontiguousarray(image_rgb[:, :, ::-1]), threshold=0.5)
    if not len(found):
        return None
    best = int(np.argmax(found.confidence))
    embedded = embedder.embed(image_rgb, found.xyxy[best : best + 1], found.landmarks[best : best + 1])
    vector: np.ndarray = embedded.vectors[0]
    return vector


def test_the_five_landmarks_of_a_real_photo_land_on_the_template(detector: CenterFaceDetector) -> None:
    image = astronaut_rgb()
    found = detector.detect(np.ascontiguousarray(image[:, :, ::-1]), threshold=0.5)
    points = found.landmarks[0].astype(np.float64)
    matrix = similarity_transform(points)
    mapped = points @ matrix[:, :2].T + matrix[:, 2]
    residual = np.linalg.norm(mapped - ARCFACE_TEMPLATE, axis=1)
    assert residual.max() < 4.0, residual  # pixels of the 112x112 crop
    # A similarity transform: no shear, one scale (the face keeps its proportions).
    a, b = matrix[0, :2], matrix[1, :2]
    assert abs(np.linalg.norm(a) - np.linalg.norm(b)) < 1e-6 and abs(a @ b) < 1e-6
    crops = align_faces(image, found.landmarks[:1])
    assert crops.shape == (1, 112, 112, 3) and crops.dtype == np.uint8


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    import cv2

    ok, data = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[:, :, ::-1])


def half_size(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)


def blur(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(image, (0, 0), 1.5)


def darker(image: np.ndarray) -> np.ndarray:
    return (image.astype(np.float32) * 0.6).astype(np.uint8)


def brighter(image: np.ndarray) -> np.ndarray:
    return np.clip(image.astype(np.int16) + 40, 0, 255).astype(np.uint8)


WHAT_VIDEO_DOES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "half size": half_size,
    "darker": darker,
    "brighter": brighter,
    "blurred": blur,
    "turned 8 degrees": lambda image: rotate(image, 8),
    "compressed (JPEG 25)": lambda image: jpeg(image, 25),
}


def test_the_same_face_changed_as_video_changes_it_stays_closer_to_itself_than_to_others(
    detector: CenterFaceDetector, embedder: FaceEmbedder
) -> None:
    original = embed_first_face(astronaut_rgb(), detector, embedder)
    assert original is not None
    others = []
    for index in range(0, 60, 3):
        canvas = np.full((300, 300, 3), 128, np.uint8)
        canvas[75:225, 75:225] = lfw_face(index)
        other = embed_first_face(canvas, detector, embedder)
        if other is not None:
            others.append(other)
    assert len(others) >= 15  # different people (LFW), most of them found
    nearest_other = float(np.max(np.asarray(others) @ original))
    assert nearest_other < 0.4
    for name, change in WHAT_VIDEO_DOES.items():
        changed = embed_first_face(change(astronaut_rgb()), detector, embedder)
        assert changed is not None, f"{name}: the face was not found"
        similarity = float(changed @ original)
        assert similarity > nearest_other + 0.2, (
            f"{name}: {similarity:.2f} vs another person's {nearest_other:.2f}"
        )


def test_embeddings_are_unit_vectors_and_the_gate_refuses_a_tiny_blurred_face(
    detector: CenterFaceDetector, embedder: FaceEmbedder
) -> None:
    import cv2

    image = astronaut_rgb()
    found = detector.detect(np.ascontiguousarray(image[:, :, ::-1]), threshold=0.5)
    result = embedder.embed(image, found.xyxy[:1], found.landmarks[:1], QualityGate())
    assert result.trusted.tolist() == [True]
    assert abs(float(np.linalg.norm(result.vectors[0])) - 1.0) < 1e-5
    small = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA)  # the face becomes ~20 px
    tiny = embedder.embed(small, found.xyxy[:1] / 8, found.landmarks[:1] / 8, QualityGate())
    assert tiny.trusted.tolist() == [False]
    assert not tiny.vectors.any()  # refused faces are not run through the network at all


def test_the_folded_model_computes_what_the_shipped_file_computes_in_batches() -> None:
    """Folding the int8 weights into floats and freeing the batch size must not change an embedding."""
    import onnx
    import onnxruntime as ort

    shipped = onnx.load(model_path())
    read = {name for node in shipped.graph.node for name in node.input}
    constants = {init.name for init in shipped.graph.initializer}
    inputs = [value for value in shipped.graph.input if value.name in read and value.name not in constants]
    del shipped.graph.input[:]
    shipped.graph.input.extend(inputs)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    reference = ort.InferenceSession(shipped.SerializeToString(), options, providers=["CPUExecutionProvider"])
    fast = ort.InferenceSession(load_fast_model(), options, providers=["CPUExecutionProvider"])
    faces = np.random.default_rng(7).uniform(0, 255, (3, 3, 112, 112)).astype(np.float32)
    expected = np.concatenate([reference.run(None, {INPUT_NAME: faces[i : i + 1]})[0] for i in range(3)])
    batched = fast.run(None, {INPUT_NAME: faces})[0]
    assert batched.shape == (3, 128)
    np.testing.assert_allclose(batched, expected, rtol=1e-4, atol=1e-4)


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path: object) -> None:
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_fast_model(model_path(), "0" * 64)
    assert len(MODEL_SHA256) == 64
