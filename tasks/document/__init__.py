"""The per-video JSON in the Azure Media Face Detector layout.

- ``ticks``: frames to integer ticks and fragments
- ``build``: the document of a result (``assemble`` lays out every document)
- ``contract``: the output contract's rules, each violation named
- ``write``: written atomically
- ``rebuild``: a document's events as arrays, and the lake's rows back into the document
"""
