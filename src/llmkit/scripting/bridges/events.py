"""The ``events`` module: subscribe to llmkit events with topic patterns, publish the script's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge, HostObject, ScriptCallable, method
from llmkit.scripting._host import Host

__all__ = ["ScriptEvent", "Subscription", "bridge"]

bridge = Bridge(
    "events",
    "Events of the engine's bus: those of the agents the script made (`run.start`, "
    "`model.request`, `tool.call`, `tool.result`, `run.end` …) and the script's own. An event "
    "reaches a handler as a table with its `topic` and fields (script events: `topic` and "
    "`data`). Handlers run as their own coroutines; a run waits for them before it ends and "
    "its subscriptions end with it.",
)


@dataclass(slots=True)
class ScriptEvent:
    """An event a script published: ``topic`` and JSON ``data``."""

    topic: str
    data: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, without the topic."""
        return {"data": self.data}


class Subscription(HostObject):
    """A handler subscribed with `events.on`."""

    script_type = "Subscription"

    def __init__(self, cancel: Any) -> None:
        self._cancel = cancel

    @method
    def cancel(self, host: Host) -> None:
        """Stop calling the handler."""
        self._cancel()


def _as_data(event: Any) -> dict[str, Any]:
    from llmkit.events import event_to_dict

    if isinstance(event, ScriptEvent):
        return {"topic": event.topic, "data": event.data}
    try:
        return dict(event_to_dict(event))
    except Exception:
        return {"topic": event.topic}


@bridge.function
def on(host: Host, pattern: str, handler: ScriptCallable) -> Subscription:
    """Call `handler(event)` for each event whose topic matches the glob `pattern` (`"tool.*"`, `"*"`)."""
    if not isinstance(pattern, str) or not callable(handler):
        raise UsageError(
            'events.on takes a topic pattern and a function: events.on("tool.*", function(e) ... end).'
        )

    async def deliver(event: Any) -> None:
        await handler(_as_data(event))

    subscription = host.bus.on(pattern, deliver)
    host.on_close(subscription.cancel)
    return Subscription(subscription.cancel)


@bridge.function
def publish(host: Host, topic: str, data: Any = None) -> None:
    """Publish an event of the script: `events.publish("report.ready", { pages = 3 })`."""
    if not isinstance(topic, str) or not topic:
        raise UsageError("events.publish takes a topic string and optional data.")
    from llmkit.events import Event

    host.bus.publish(cast(Event, ScriptEvent(topic, data)))
