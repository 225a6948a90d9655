"""Microsoft's published Azure Media Face Detector / Redactor samples (``../shared/format/azure-samples.md``,
sections 1c, 2b, 3c and 5, all truncated by Microsoft) with their verbatim values, completed the way a
real file ends. Written out here because a fresh clone has no ``../shared``."""

from __future__ import annotations

import copy
from typing import Any

Doc = dict[str, Any]


def face_detector_sample() -> Doc:
    """Section 1c (Face Detector, timescale 30000): the three published events, padded to 60 frames."""
    events: list[list[Doc]] = [
        [{"id": 0, "x": 0.519531, "y": 0.180556, "width": 0.0867188, "height": 0.154167}],
        [{"id": 0, "x": 0.517969, "y": 0.181944, "width": 0.0867188, "height": 0.154167}],
        [{"id": 0, "x": 0.517187, "y": 0.183333, "width": 0.0851562, "height": 0.151389}],
    ]
    return {
        "version": 1,
        "timescale": 30000,
        "offset": 0,
        "framerate": 29.97,
        "width": 1280,
        "height": 720,
        "fragments": [
            {"start": 0, "duration": 60060},
            {"start": 60060, "duration": 60060, "interval": 1001, "events": events + [[]] * 57},
        ],
        "facesDetected": 1,
    }


def redactor_sample() -> Doc:
    """Section 3c (Redactor analyze, timescale 24000): event 13 as published, the fragment left short
    after it, and no ``facesDetected`` (no published sample shows one)."""
    return {
        "version": 1,
        "timescale": 24000,
        "offset": 0,
        "framerate": 23.976,
        "width": 1280,
        "height": 720,
        "fragments": [
            {
                "start": 0,
                "duration": 48048,
                "interval": 1001,
                "events": [[] for _ in range(13)]
                + [
                    [
                        {
                            "index": 13,
                            "id": 1138,
                            "x": 0.29537,
                            "y": -0.18987,
                            "width": 0.36239,
                            "height": 0.80335,
                        },
                        {
                            "index": 13,
                            "id": 2028,
                            "x": 0.60427,
                            "y": 0.16098,
                            "width": 0.26958,
                            "height": 0.57943,
                        },
                    ],
                ],
            }
        ],
    }


EMOTION_SCORES = {
    "neutral": 0,
    "happiness": 0,
    "surprise": 0,
    "sadness": 0,
    "anger": 0,
    "disgust": 0,
    "fear": 0,
    "contempt": 0,
}


def aggregate_emotion_sample() -> Doc:
    """Section 2b (aggregate emotion): the first, complete fragment of the sample."""
    window = {"windowFaceDistribution": dict(EMOTION_SCORES), "windowMeanScores": dict(EMOTION_SCORES)}
    return {
        "version": 1,
        "timescale": 30000,
        "offset": 0,
        "framerate": 29.97,
        "width": 1280,
        "height": 720,
        "fragments": [
            {
                "start": 0,
                "duration": 60060,
                "interval": 15015,
                "events": [[copy.deepcopy(window)] for _ in range(4)],
            }
        ],
    }


def motion_sample() -> Doc:
    """Section 5 (Motion Detector, same envelope): its region and its first motion event."""
    return {
        "version": 2,
        "timescale": 23976,
        "offset": 0,
        "framerate": 24,
        "width": 1280,
        "height": 720,
        "regions": [
            {"id": 0, "type": "polygon", "points": [{"x": 0, "y": 0}, {"x": 0.5, "y": 0}, {"x": 0, "y": 1}]}
        ],
        "fragments": [
            {"start": 0, "duration": 226765},
            {
                "start": 226765,
                "duration": 47952,
                "interval": 999,
                "events": [
                    [
                        {
                            "type": 2,
                            "typeName": "motion",
                            "locations": [
                                {"x": 0.004184, "y": 0.007463, "width": 0.991667, "height": 0.985185}
                            ],
                            "regionId": 0,
                        }
                    ]
                ],
            },
        ],
    }


# --- the samples import ------------------------------------------------------------------------------
