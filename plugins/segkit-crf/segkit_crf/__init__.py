"""segkit-crf: DeepLab's fully connected CRF (Krähenbühl & Koltun, NIPS 2011) for segkit,
as a spec block (``crf``) and a prediction post-processor (``crf``). Torch-free to import."""
from segkit_crf.block import CRF, CRFParams
from segkit_crf.postprocess import CRFPostprocessor

__version__ = "0.1.0"

__all__ = ["CRF", "CRFParams", "CRFPostprocessor"]
