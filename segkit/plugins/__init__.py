"""How things get into segkit: hook specifications (:mod:`.hookspecs`), the plugin
manager that loads built-in and installed plugins the same way (:mod:`.manager`), the
registry of what they register (:mod:`.registry`), lazy entries that import on first use
(:mod:`.lazy`), hints for unknown names (:mod:`.suggest`) and what each plugin provides
(:mod:`.inventory`)."""

import importlib as _importlib
import warnings as _warnings

_MOVED = {"get_plugin_manager": "manager", "Plugins": "manager", "PluginFailure": "manager",
          "ENTRY_POINT_GROUP": "manager", "BUILTIN_PLUGINS": "manager"}


def __getattr__(name: str):
    """``segkit.plugins`` was a module (segkit 0.1); its names live in :mod:`.manager` now."""
    if name not in _MOVED:
        raise AttributeError(f"module 'segkit.plugins' has no attribute {name!r}")
    _warnings.warn(f"segkit.plugins.{name} is deprecated: import it from segkit.plugins.{_MOVED[name]}",
                   DeprecationWarning, stacklevel=2)
    return getattr(_importlib.import_module(f"segkit.plugins.{_MOVED[name]}"), name)
