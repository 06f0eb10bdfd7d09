"""Every figure regulab draws, in one style, with its file name."""
