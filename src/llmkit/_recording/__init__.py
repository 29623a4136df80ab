"""Recording and replaying agent runs (public names are in :mod:`llmkit.recording`)."""
