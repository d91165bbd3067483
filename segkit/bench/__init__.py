"""``segkit bench``: forward / training-step timing and peak memory of a compiled spec
(:mod:`.runner`)."""
