"""The worker runtime: the Celery app, running a job by id, heartbeats, the reaper, checkpoints."""
