"""Omnichannel: one catalog, stock, price, customer and order across every sales channel."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("omnichannel")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
