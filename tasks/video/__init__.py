"""The video: what a file is, its frames, its id.

- ``probe``: geometry, timing and codec, read before any heavy work; bad input refused in one line
- ``decode``: frames in a background thread, already scaled for the detector, on the frame grid
- ``content_id``: the video's id, the SHA-256 of its bytes
- ``encode``: frames into a video file, written atomically
"""
