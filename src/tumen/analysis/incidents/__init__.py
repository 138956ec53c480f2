"""Parts of the incidents component (``tumen.analysis.components.incidents``).

* ``features``  sentence features (words, character n-grams, cue lexicons);
* ``classify``  the sentence-level event typer (a stored logistic-regression model);
* ``train``     retrains that model from ``shared/data/trainset`` (``python -m tumen.analysis.incidents.train``);
* ``args``      actor, place, date and penalty filling;
* ``dedupe``    merging restatements of the same event.
"""
