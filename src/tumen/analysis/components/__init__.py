"""Analysis components; importing this package registers them with the pipeline."""

from importlib import import_module

for _name in ("places", "organizations", "laws", "dates", "incidents", "tags"):
    try:
        import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as exc:  # a component still being written
        if exc.name != f"{__name__}.{_name}":
            raise
