"""regulab's API process and the store, queue and catalog it shares with the workers.

Nothing imported from here at module level pulls in torch or scikit-learn.
"""
