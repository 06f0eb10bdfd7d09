"""Predictions with a finished job's exported ONNX pipeline, in the API process."""
