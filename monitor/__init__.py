"""monitor: watch published articles and report exactly what changed in their text."""

__version__ = "0.1.0"
