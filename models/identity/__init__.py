"""Face identity: landmark-aligned crops, a face-recognition embedding (SFace), and when to trust one."""

from models.identity.alignment import ALIGNED_SIZE, align_faces
from models.identity.embedder import FaceEmbedder, FaceEmbeddings, QualityGate, cosine_similarity

__all__ = [
    "ALIGNED_SIZE",
    "FaceEmbedder",
    "FaceEmbeddings",
    "QualityGate",
    "align_faces",
    "cosine_similarity",
]
