"""topics: text classification and topic modeling of news about AI in finance."""

__version__ = "0.1.0"
