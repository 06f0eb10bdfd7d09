"""Data a job trains on: built-in datasets, uploads and their preprocessing, splits."""
