"""Rules of the symbolic planner, one module per kind of figure.

Each rule claims the clauses of a request it understands and turns them into typed specs.
`ivlu_agent.model.symbolic.RULES` lists them in priority order.
"""
