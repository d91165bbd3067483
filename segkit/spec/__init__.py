"""The spec language: loading YAML with locations, the file schema, expressions, and
resolution of a spec (params, extends, repeat, sub-specs) into the graph IR."""
