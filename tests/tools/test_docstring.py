"""The docstring reader: summaries and argument descriptions in Google, NumPy and Sphinx style."""

from __future__ import annotations

from llmkit.tools import parse_docstring


def test_google_style() -> None:
    doc = parse_docstring(
        """Find flights between two cities.

        Searches every airline.

        Args:
            origin (str): IATA code of the departure
                airport, e.g. CDG.
            destination: IATA code of the arrival airport.
            *extra: ignored.

        Returns:
            The flights found.
        """
    )
    assert doc.description == "Find flights between two cities.\n\nSearches every airline."
    assert doc.params["origin"] == "IATA code of the departure airport, e.g. CDG."
    assert doc.params["destination"] == "IATA code of the arrival airport."
    assert "Returns" not in doc.description


def test_numpy_style() -> None:
    doc = parse_docstring(
        """Convert an amount.

        Parameters
        ----------
        amount : float
            How much money.
        source, target : str
            Currency codes.

        Returns
        -------
        float
        """
    )
    assert doc.description == "Convert an amount."
    assert doc.params["amount"] == "How much money."
    assert doc.params["source"] == "Currency codes."
    assert "target" in doc.params


def test_sphinx_style() -> None:
    doc = parse_docstring(
        """Send an email.

        :param to: The recipient's
            address.
        :param str subject: The subject line.
        :returns: The message id.
        """
    )
    assert doc.description == "Send an email."
    assert doc.params == {"to": "The recipient's address.", "subject": "The subject line."}


def test_no_docstring_and_plain_text() -> None:
    assert parse_docstring(None).description == ""
    assert parse_docstring("   ").params == {}
    doc = parse_docstring("Just a summary: with a colon.")
    assert doc.description == "Just a summary: with a colon."
    assert doc.params == {}
