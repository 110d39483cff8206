"""``tis-sim run``: one simulation written to a results folder (tables, figures, manifest)."""
