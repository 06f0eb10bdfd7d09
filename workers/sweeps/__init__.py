"""Regularization paths and cross-validated strength selection (the sweep domain code)."""
