"""newsvault: a permanent, public, searchable archive of Chinese-language news."""

__version__ = "0.1.0"
