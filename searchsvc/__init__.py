"""档案检索 (searchsvc): full-text search over a Chinese news archive."""

__version__ = "0.1.0"
