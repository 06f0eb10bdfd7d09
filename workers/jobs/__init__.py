"""What a job computes, per family (linear and scikit-learn models, networks)."""
