"""gvm-desktop: an offline, encrypted Gangs Violence Matrix for a BCU."""

__version__ = "0.1.0"
