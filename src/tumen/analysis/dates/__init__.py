"""Date expressions: a compiled grammar (English + Korean) and an explicit resolver.

* ``extract.find_dates(body, published, sdoc, sentences)`` -> (dates, anaphora)
* ``resolve``: the calendar rules (weekdays, month-days, bare months, seasons ...)
* ``tense``: which way an expression points (past event vs. deadline / plan)

The analysis component is ``tumen.analysis.components.dates``; it also offers
``date_for_span(doc, start, end)`` to date an event sentence.
"""

from tumen.analysis.dates.extract import Found, find_dates, first_occurrences

__all__ = ["Found", "find_dates", "first_occurrences"]
