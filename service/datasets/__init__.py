"""The dataset catalog: what the API can describe and validate without loading data."""
