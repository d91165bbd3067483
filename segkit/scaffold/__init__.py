"""Templates to start from: ``segkit new plugin NAME`` writes a plugin package
(:mod:`segkit.scaffold.plugin`)."""
