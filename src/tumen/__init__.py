"""Tumen: turn field reports about North Korea into a searchable, cited record."""

__version__ = "0.1.0"
