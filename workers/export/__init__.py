"""A job's fitted models as portable files: the whole pipeline (preprocessing + estimator)
as ONNX, scikit-learn estimators also as skops. ``api_schemas/predictions.py`` states the
ONNX files' inputs and outputs; the API runs them with onnxruntime."""
