"""The exactness comparison the importer's tests share with the encoder table's survey."""
from segkit.docgen.exactness import compare, randomise

__all__ = ["compare", "randomise"]
