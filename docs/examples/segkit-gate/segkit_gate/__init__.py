"""segkit-gate: the example plugin of segkit's plugin tutorial."""
