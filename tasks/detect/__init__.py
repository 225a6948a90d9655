"""Detect and track: every face in a video, each with a stable id.

- ``detect_track``: decode → detect (every Nth frame, batched) → track, one video in, a result out
- ``frame_grid``: tracks from decode order onto the frame grid, and back onto the stored frame
- ``result``: ``VideoResult``, what was found and how
"""
