"""Trainers: each builds and fits estimators that follow scikit-learn's contract."""
