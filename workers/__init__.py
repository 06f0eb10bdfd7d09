"""regulab's workers: the Celery app, the job runner and the trainers."""
