"""Jobs: the store (repository), spec checks and the operations routes and tasks call."""
