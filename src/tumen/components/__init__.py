"""Analysis components; importing this package registers them with the pipeline."""

# Imported for their registration (@component), in the pipeline's order.
from . import places, organizations, laws, dates, incidents, tags  # noqa: F401, I001
