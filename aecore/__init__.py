"""aecore: the autoencoder engine. Data loading, models, training, projection, anomaly scores and
bundles, with no UI import. The public API is what this module exports."""
from .baseline import PcaComparison, compare_with_pca
from .dataset import Dataset, ImagePreprocessor, TablePreprocessor
from .errors import AecoreError, BundleError, ConfigError, DataError
from .estimator import Autoencoder, interpolate, set_threads
from .images import images_from_array, load_images
from .limits import DEFAULT_LIMITS, Limits
from .models import describe_model, model_choices, model_names, register_objective
from .tables import load_table, table_dataset
from .training import EpochReport, TrainResult, TrainStatus

__all__ = ["Autoencoder", "AecoreError", "BundleError", "ConfigError", "DataError", "Dataset", "DEFAULT_LIMITS",
           "EpochReport", "ImagePreprocessor", "Limits", "PcaComparison", "TablePreprocessor", "TrainResult",
           "TrainStatus", "compare_with_pca", "describe_model", "images_from_array", "interpolate", "load_images",
           "load_table", "model_choices", "model_names", "register_objective", "set_threads", "table_dataset"]
