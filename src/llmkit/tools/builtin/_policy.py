"""What every built-in tool raises when one of its safety rules refuses a call."""

from __future__ import annotations

from llmkit.errors import ToolError

__all__ = ["Refused"]


class Refused(ToolError):
    """A built-in tool refused a call because of one of its rules; nothing was touched.

    ``rule`` names the rule (``"root"``, ``"read_only"``, ``"max_read_bytes"``,
    ``"allow_hosts"``, ``"private_address"``, ``"allow_commands"``,
    ``"max_exponent"`` …); the message names it too and says what the model can
    do instead. Inside an agent run it reaches the model as an error result.
    """

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"Refused ({rule}): {message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.rule, str(self)))


def _rebuild(rule: str, text: str) -> Refused:
    refused = Refused(rule, "")
    refused.args = (text,)
    return refused
