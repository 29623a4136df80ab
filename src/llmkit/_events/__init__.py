"""The event types, by level; :mod:`llmkit.events` serves them all (import from it).

``base.py`` what every event shares (the step ``path``, the JSON form of fields,
codecs); ``model.py`` model-level events; ``run.py`` run-level events;
``workflow.py`` workflow-level events; ``catalog.py`` the ``Event`` union, the
JSON form by topic and the envelope kinds.
"""
