"""kijun: the Japanese government Common Standards (統一基準群) as working software."""

__version__ = "0.1.0"

__all__ = ["__version__"]
