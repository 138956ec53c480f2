"""Running the real CLI in-process, for the CLI test modules."""

from __future__ import annotations

from tumen.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``tumen ARGV`` in this process: its exit status, standard output and error."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
