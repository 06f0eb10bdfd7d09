"""Events: every change a caller can see, stored with the change, streamed and fed."""
