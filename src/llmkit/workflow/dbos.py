"""Workflows on DBOS (``pip install 'llmkit[dbos]'``): a run is a DBOS workflow, each leaf a DBOS step.

::

    from dbos import DBOS
    from llmkit.workflow.dbos import DBOSRunner

    DBOS(config={"name": "articles", "system_database_url": "sqlite:///dbos.sqlite"})
    articles = DBOSRunner(flow)        # registers the DBOS workflow: before launch
    DBOS.launch()                      # recovers the runs a killed process left pending
    result = await articles.run({"topic": "tides"}, run_id="article-42")

See ``docs/durable.md`` (DBOS) for what maps to what and when to pick DBOS over a store.
DBOS itself is imported when a :class:`DBOSRunner` is made, not with this module.
"""

from __future__ import annotations

from llmkit.workflow._dbos import DBOSOptions, DBOSRunner

__all__ = ["DBOSOptions", "DBOSRunner"]
