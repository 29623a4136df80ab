"""Models and the providers behind them.

:func:`model` turns a ``"provider/model"`` string into a :class:`Model`; each
wire protocol lives in its own module and is imported only when first used.
"""

from __future__ import annotations

from llmkit.providers._prices import Price
from llmkit.providers._prices import model_price as price_of
from llmkit.providers._registry import known_providers, model
from llmkit.providers.base import Capabilities, Model

__all__ = ["Capabilities", "Model", "Price", "known_providers", "model", "price_of"]
