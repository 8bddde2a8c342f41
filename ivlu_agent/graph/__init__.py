"""The LangGraph state machine: state (state.py), nodes (nodes.py) and the wiring (build.py)."""
