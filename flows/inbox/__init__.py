"""Inboxes: a drop folder (claims, done/ and failed/, a watcher that announces arrivals) or an
object-store prefix swept by polling."""
