"""FaceEmbedder: aligned faces → unit 128-d SFace embeddings, with what says whether each may be trusted.

An embedding places a face so that the same person lands close (cosine near 1) and different people far
(near 0) — but only for faces that show enough: small, blurred or dark faces embed near *each other*
whoever they are (measured: three different dark, blurred audience members in one frame scored 0.38-0.49,
above OpenCV's same-person threshold of 0.363). So every embedding comes with the measures a quality gate
needs (face size, sharpness, brightness), and only faces that pass may vote on an identity.

Embeddings are biometric data: they live in memory for one video and are never written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.identity.alignment import align_faces
from models.identity.sface_file import INPUT_NAME, MODEL_SHA256, OUTPUT_NAME, load_fast_model
from models.runtime import onnx_session


@dataclass(frozen=True)
class QualityGate:
    """Which faces show enough of themselves for their embedding to decide an identity.

    ``bench/identity.py --gates`` prints how alike faces of one person and of two people are under each
    candidate gate. On the dev clips (few poor faces there) this gate keeps 95 % of the faces, and two
    people's most alike pair is 0.47 with it or without (one person's median 0.93). It is meant for
    what those clips lack and real crowds are full of: dark, blurred, distant faces, which embed near
    each other whoever they are.
    """

    min_face: float = 40.0  # pixels: the shorter side of the face box, in the frame embedded from
    min_sharpness: float = 12.0  # variance of the Laplacian of the aligned grey crop
    # Mean grey level of the aligned crop, 0..255. Low on purpose: a high floor refuses darker skin before
    # it refuses bad light (at 40 a face of the dlib stills, mean 39-40, was refused and split).
    min_brightness: float = 25.0
    max_brightness: float = 230.0

    def passes(self, face_size: np.ndarray, sharpness: np.ndarray, brightness: np.ndarray) -> np.ndarray:
        """Which faces (one value per face in each array) may vote on an identity."""
        return (
            (face_size >= self.min_face)
            & (sharpness >= self.min_sharpness)
            & (brightness >= self.min_brightness)
            & (brightness <= self.max_brightness)
        )


@dataclass(frozen=True)
class FaceEmbeddings:
    """One row per face: the unit embedding, the measures of how much the face showed, and the verdict.

    Faces the gate refused are not run through the network (that is most of the cost): their vector is 0.
    """

    vectors: np.ndarray  # (N, 128) float32, unit length where trusted, zero elsewhere
    trusted: np.ndarray  # (N,) bool: passed the quality gate
    norms: np.ndarray  # (N,) length before normalizing (larger for clearer faces)
    face_size: np.ndarray  # (N,) pixels, shorter box side
    sharpness: np.ndarray  # (N,) Laplacian variance of the aligned grey crop
    brightness: np.ndarray  # (N,) mean grey level of the aligned crop

    def __len__(self) -> int:
        return len(self.vectors)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise cosine of unit vectors, (len(a), len(b))."""
    result: np.ndarray = np.asarray(a, np.float32) @ np.asarray(b, np.float32).T
    return result


class FaceEmbedder:
    """SFace (OpenCV Zoo) on onnxruntime; crops of one image go through in one batch."""

    name = "sface"

    def __init__(self, threads: int | None = None, providers: list[str] | None = None) -> None:
        self.sha256 = MODEL_SHA256
        self.session = onnx_session(load_fast_model(), threads, providers)
        self.provider = self.session.get_providers()[0]
        # The first run allocates the session's buffers (2-3x a normal run): pay it here, once per process.
        self.session.run([OUTPUT_NAME], {INPUT_NAME: np.zeros((1, 3, 112, 112), np.float32)})

    def embed(
        self, image_rgb: np.ndarray, boxes: np.ndarray, landmarks: np.ndarray, gate: QualityGate | None = None
    ) -> FaceEmbeddings:
        """Embed the faces at ``boxes`` (N, 4) xyxy with ``landmarks`` (N, 5, 2), both in image pixels.

        With a ``gate``, only the faces that pass it are embedded; without one, every face is.
        """
        import cv2

        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        crops = align_faces(image_rgb, np.asarray(landmarks, np.float64).reshape(-1, 5, 2))
        grey = [cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) for crop in crops]
        size = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]).astype(np.float32)
        sharpness = np.array([cv2.Laplacian(g, cv2.CV_64F).var() for g in grey], np.float32)
        brightness = np.array([g.mean() for g in grey], np.float32)
        trusted = gate.passes(size, sharpness, brightness) if gate else np.ones(len(crops), bool)
        vectors = np.zeros((len(crops), 128), np.float32)
        norms = np.zeros(len(crops), np.float32)
        if trusted.any():
            blob = np.ascontiguousarray(crops[trusted].transpose(0, 3, 1, 2), np.float32)
            raw = np.asarray(self.session.run([OUTPUT_NAME], {INPUT_NAME: blob})[0], np.float32)
            norms[trusted] = np.linalg.norm(raw, axis=1)
            vectors[trusted] = raw / np.maximum(norms[trusted], 1e-9)[:, None]
        return FaceEmbeddings(vectors, trusted, norms, size, sharpness, brightness)
