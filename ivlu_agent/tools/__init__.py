"""Renderers and verifiers, one per file.

Each is a plain typed function that runs inside the isolated worker (`ivlu_agent.worker`):
renderers take a spec dict and return `{"files": [{"name", "mime", "data"}], "meta": {...}}`;
verifiers take `(spec, files, meta)` and return a list of `Verdict` dicts. Spec classes name
them by "module:function", so nothing here is imported until a step needs it.
"""
