"""Analysis components; importing this package registers them with the pipeline."""

# Imported for their registration (@component).
from tumen.analysis.components import places, organizations, laws, dates, incidents, tags  # noqa: F401, I001  (pipeline order)
