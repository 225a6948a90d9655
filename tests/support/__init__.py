"""What the tests share: generated media (media), real servers (servers), synthetic results and batches
(results, lake_synth, validate_batches), and where ../shared is (shared)."""
