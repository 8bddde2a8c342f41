"""The wiring, top to bottom. Nodes live in nodes.py; state in state.py.

    plan → step* (fan-out) → gather → … → compose → END
    step:  execute → verify → (refine → execute)* → finish
"""

from __future__ import annotations

from functools import partial

from langgraph.graph import END, START, StateGraph

from . import nodes
from .state import RunState, StepInput, StepOutput, StepState


def build_step_graph(services: nodes.Services):
    g = StateGraph(StepState, input_schema=StepInput, output_schema=StepOutput)
    g.add_node("execute", partial(nodes.execute, services=services))
    g.add_node("verify", partial(nodes.verify, services=services))
    g.add_node("refine", partial(nodes.refine, services=services))
    g.add_node("finish", nodes.finish)
    g.add_edge(START, "execute")
    g.add_edge("execute", "verify")
    g.add_conditional_edges("verify", partial(nodes.after_verify, services=services), ["refine", "finish"])
    g.add_conditional_edges("refine", nodes.after_refine, ["execute", "finish"])
    g.add_edge("finish", END)
    # No checkpoints inside a step: a finished step is saved by the parent (as a pending write),
    # an interrupted one simply runs again. This halves checkpoint bytes per run.
    return g.compile(checkpointer=False)


def build_graph(services: nodes.Services, checkpointer=None):
    g = StateGraph(RunState)
    g.add_node("plan", partial(nodes.plan, services=services))
    g.add_node("step", build_step_graph(services))
    g.add_node("gather", nodes.gather)
    g.add_node("compose", partial(nodes.compose, services=services))
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", nodes.dispatch, ["step", "compose"])
    g.add_edge("step", "gather")
    g.add_conditional_edges("gather", nodes.dispatch, ["step", "compose"])
    g.add_edge("compose", END)
    return g.compile(checkpointer=checkpointer)
