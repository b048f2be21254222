"""vault.toml and the built-in outlet catalogue."""

from .load import VAULT_FILE, catalogue, init_text, load
from .model import Config, FetchSettings, Source
from .schema import ConfigError

__all__ = ["VAULT_FILE", "Config", "ConfigError", "FetchSettings", "Source", "catalogue", "init_text", "load"]
