"""Composite blocks of the literature: YAML sub-specs in this folder (registered by
:mod:`.yaml_blocks`) and Python macros and blocks where the spec language cannot say it,
one module each, each a built-in plugin of its own (see
:data:`segkit.plugins.manager.BUILTIN_PLUGINS`)."""
