"""segkit-frozen: written against segkit 0.1's documentation and never updated, so
that segkit's tests see its old import paths keep working."""
