"""Execution engines for the analysis: the local one lives in ``tumen.analyze``;
``tumen.engines.spark`` runs the same pipeline on Apache Spark."""
