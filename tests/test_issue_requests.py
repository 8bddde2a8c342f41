"""Every request the prose issue quotes, run end to end by the real agent (symbolic engine, real renderers and
verifiers). Each must give the figure asked for or an honest, flagged `unverified`; none may end `verified`
with a wrong plan, and none is refused."""

import pytest

from ivlu_agent.tools import parse_step

CASES = [  # (request, a check on the plan's steps that holds only when the request was understood)
    ("Show that the derivative of sin(x)^2 is sin(2x)",
     lambda s: [x.kind for x in s] == ["equation"] and "\\sin" in s[0].latex and "i s" not in s[0].latex),
    ("A line chart of CO2 ppm: 2000 369, 2005 379, 2010 389, 2015 400, 2020 412",
     lambda s: s[0].series[0].x == [2000, 2005, 2010, 2015, 2020] and s[0].series[0].values[0] == 369),
    ("Draw a state machine for a traffic light: red -> green -> yellow -> red",
     lambda s: sorted(n.label for n in s[0].nodes) == ["green", "red", "yellow"] and len(s[0].edges) == 3),
    ("Please draw 2-methylpropan-2-ol", lambda s: s[0].inchikey == "DKGAVHZHDRPRBM-UHFFFAOYSA-N"),
    ("Draw the cis and trans isomers of but-2-ene",
     lambda s: {x.inchikey for x in s} == {"IAQRGUVFOMOMEM-ARJAWSKDSA-N", "IAQRGUVFOMOMEM-ONEGZZNKSA-N"}),
    ("a cube of side 30 mm rotated 30 degrees about the z axis",
     lambda s: (s[0].part.length, s[0].part.width, s[0].part.height) == (30, 30, 30)
     and any(v.rz == 30 for v in s[0].views)),
    ("Write out the Schrödinger equation (time-independent, 1D)",
     lambda s: s[0].kind == "equation" and "psi" in s[0].latex),
    ("Plot the normal distribution density with mean 0 and standard deviation 1",
     lambda s: s[0].kind == "plot" and (s[0].x_min, s[0].x_max) == (-4, 4)),
    ("Draw a flowchart for making tea: boil water, add tea bag, wait 3 minutes, remove the bag, add milk",
     lambda s: [n.label for n in s[0].nodes][:3] == ["boil water", "add tea bag", "wait 3 minutes"]),
    ("A slide title that says 'Results' with the subtitle 'Year one of the trial'",
     lambda s: (s[0].heading, s[0].subheading) == ("Results", "Year one of the trial")),
    ("draw C/C=C\\C", lambda s: s[0].inchikey == "IAQRGUVFOMOMEM-ARJAWSKDSA-N"),
    ("Draw the complete structural formula of cortisone, clearly indicating all carbon, hydrogen, and oxygen "
     "atoms", lambda s: s[0].name == "cortisone" and s[0].displayed),
    ("Draw the amino acids glycine, alanine and serine",
     lambda s: [x.name for x in s] == ["glycine", "alanine", "serine"] and not any(x.highlight for x in s)),
    ("Front and top views of an 80x50x10 mm plate with four 8 mm holes",
     lambda s: len(s[0].features) == 4 and {tuple(map(abs, f.at)) for f in s[0].features} == {(28.0, 13.0)}),
]


@pytest.mark.parametrize("request_text, understood", CASES, ids=[c[0][:40] for c in CASES])
def test_every_request_the_issue_quotes(agent, request_text, understood):
    result = agent.run(request_text)
    assert result.exit_code in (0, 1), result  # drawn, never refused
    plan = [parse_step(s.spec) for s in result.steps]  # the final specs, typed again
    assert understood(plan), [s.describe for s in result.steps]
    if result.status == "verified":
        assert result.faithful.passed and all(s.status == "verified" for s in result.steps)
