"""Named models: a caller's registered models, their versions (succeeded jobs) and
aliases, and predictions through them."""
