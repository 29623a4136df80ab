"""The pieces behind :class:`~llmkit.testing.Scenario` (private: import from ``llmkit.testing``).

- ``script``: the model turns of one exchange at a time, served to the scripted model;
- ``result``: what a scenario run gives back (``Exchange``, ``ScenarioResult``,
  ``ScenarioFailed``) and how a failure reads;
- ``data``: scenarios written as data (YAML, JSON or dicts).
"""
