"""Planning: requests to typed steps. The symbolic planner (each kind's rule), the model planner
(InternVL-U's chain of thought under a schema), hybrid routing, and the protocols the graph uses."""
