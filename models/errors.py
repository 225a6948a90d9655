"""The one error the models raise: a model file that is missing or is not the one facetrack was tested with.

``models`` sits below everything else and imports nothing from ``tasks`` or ``flows``; where a command
meets this error it becomes a one-line ``FacetrackError`` (``tasks.detect``).
"""

from __future__ import annotations


class ModelFileError(Exception):
    """A model file is missing, unreadable, or its SHA-256 is not the pinned one."""
