"""Formulas people ask for by name: how each is written, and what it states (a SymPy expression as text, read
by maths.safe_sympify, never evaluated as code). ALIASES maps the names people use to the table's keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Named:
    """A formula the planner knows: how it is written, and what it states as a SymPy expression."""

    title: str
    latex: str
    expected: str  # SymPy srepr-style text, read by maths.safe_sympify (never eval'd)
    check: str = "none"
    solves: str = ""
    i_is_imaginary: bool = False
    e_is_euler: bool = True



NAMED: dict[str, Named] = {
    "quadratic formula": Named(
        "quadratic formula", r"x = \frac{-b \pm \sqrt{b^{2} - 4ac}}{2a}",
        "Tuple(Eq(x, (-b + sqrt(b**2 - 4*a*c))/(2*a)), Eq(x, (-b - sqrt(b**2 - 4*a*c))/(2*a)))",
        "solves", "a*x**2 + b*x + c"),
    "pythagorean theorem": Named("Pythagorean theorem", r"a^{2} + b^{2} = c^{2}", "Eq(a**2 + b**2, c**2)"),
    "euler's identity": Named("Euler's identity", r"e^{i\pi} + 1 = 0", "Eq(exp(I*pi) + 1, 0)", "identity",
                              i_is_imaginary=True),
    "euler's formula": Named("Euler's formula", r"e^{i x} = \cos x + i \sin x",
                             "Eq(exp(I*x), cos(x) + I*sin(x))", "identity", i_is_imaginary=True),
    "mass-energy equivalence": Named("mass–energy equivalence", r"E = m c^{2}", "Eq(Symbol('E'), m*c**2)"),
    "newton's second law": Named("Newton's second law", r"F = m a", "Eq(F, m*a)"),
    "area of a circle": Named("area of a circle", r"A = \pi r^{2}", "Eq(A, pi*r**2)"),
    "circumference of a circle": Named("circumference of a circle", r"C = 2 \pi r", "Eq(C, 2*pi*r)"),
    "ideal gas law": Named("ideal gas law", r"P V = n R T", "Eq(P*V, n*R*T)"),
    "difference of squares": Named("difference of squares",
                                   r"a^{2} - b^{2} = \left(a + b\right)\left(a - b\right)",
                                   "Eq(a**2 - b**2, (a + b)*(a - b))", "identity"),
    "binomial square": Named("square of a sum", r"\left(a + b\right)^{2} = a^{2} + 2 a b + b^{2}",
                             "Eq((a + b)**2, a**2 + 2*a*b + b**2)", "identity"),
    "sum of the first n integers": Named("sum of the first n integers",
                                         r"\sum_{k=1}^{n} k = \frac{n \left(n + 1\right)}{2}",
                                         "Eq(Sum(k, Tuple(k, 1, n)), n*(n + 1)/2)", "identity"),
    "kinetic energy": Named("kinetic energy", r"E_{k} = \frac{1}{2} m v^{2}",
                            "Eq(Symbol('E_{k}'), m*v**2/2)"),
    "law of cosines": Named("law of cosines", r"c^{2} = a^{2} + b^{2} - 2 a b \cos\gamma",
                            "Eq(c**2, a**2 + b**2 - 2*a*b*cos(gamma))"),
    "ohm's law": Named("Ohm's law", r"V = I R", "Eq(V, Symbol('I')*R)"),
    "pythagorean identity": Named("Pythagorean identity", r"\sin^{2} x + \cos^{2} x = 1",
                                  "Eq(sin(x)**2 + cos(x)**2, 1)", "identity"),
    "coulomb's law": Named("Coulomb's law", r"F = k \frac{q_{1} q_{2}}{r^{2}}",
                           "Eq(F, k*Symbol('q_{1}')*Symbol('q_{2}')/r**2)"),
    "gaussian integral": Named("Gaussian integral", r"\int_{-\infty}^{\infty} e^{- x^{2}}\, dx = \sqrt{\pi}",
                               "Eq(Integral(exp(-x**2), Tuple(x, -oo, oo)), sqrt(pi))", "identity"),
    "uniform acceleration": Named("displacement under uniform acceleration", r"s = u t + \frac{1}{2} a t^{2}",
                                  "Eq(s, u*t + a*t**2/2)"),
    # Science and maths formulas people ask for by name (the statement each must show; 'none': a definition).
    "time-independent schrödinger equation": Named(
        "time-independent Schrödinger equation (1D)",
        r"-\frac{\hbar^{2}}{2 m} \frac{d^{2} \psi}{d x^{2}} + V \psi = E \psi",
        "Eq(V*psi - hbar**2*d**2*psi/(2*m*Symbol('dx')**2), Symbol('E')*psi)", e_is_euler=False),
    "nernst equation": Named("Nernst equation", r"E = E_{0} - \frac{R T}{n F} \ln Q",
                             "Eq(Symbol('E'), Symbol('E_{0}') - R*T*log(Symbol('Q'))/(n*F))", e_is_euler=False),
    "arrhenius equation": Named("Arrhenius equation", r"k = A e^{-\frac{E_{a}}{R T}}",
                                "Eq(k, A*exp(-Symbol('E_{a}')/(R*T)))"),
    "michaelis-menten equation": Named("Michaelis–Menten equation", r"v = \frac{V_{m} S}{K_{m} + S}",
                                       "Eq(v, Symbol('V_{m}')*Symbol('S')/(Symbol('K_{m}') + Symbol('S')))"),
    "beer-lambert law": Named("Beer–Lambert law", r"A = \epsilon l c", "Eq(A, epsilon*l*c)"),
    "boyle's law": Named("Boyle's law", r"P_{1} V_{1} = P_{2} V_{2}",
                         "Eq(Symbol('P_{1}')*Symbol('V_{1}'), Symbol('P_{2}')*Symbol('V_{2}'))"),
    "charles's law": Named("Charles's law", r"\frac{V_{1}}{T_{1}} = \frac{V_{2}}{T_{2}}",
                           "Eq(Symbol('V_{1}')/Symbol('T_{1}'), Symbol('V_{2}')/Symbol('T_{2}'))"),
    "hooke's law": Named("Hooke's law", r"F = -k x", "Eq(F, -k*x)"),
    "universal gravitation": Named("Newton's law of universal gravitation", r"F = G \frac{m_{1} m_{2}}{r^{2}}",
                                   "Eq(F, G*Symbol('m_{1}')*Symbol('m_{2}')/r**2)"),
    "planck relation": Named("Planck relation", r"E = h \nu", "Eq(Symbol('E'), h*nu)"),
    "de broglie wavelength": Named("de Broglie wavelength", r"\lambda = \frac{h}{p}", "Eq(Symbol('lambda'), h/p)"),
    "wave speed": Named("wave speed", r"v = f \lambda", "Eq(v, f*Symbol('lambda'))"),
    "snell's law": Named("Snell's law", r"n_{1} \sin \theta_{1} = n_{2} \sin \theta_{2}",
                         "Eq(Symbol('n_{1}')*sin(Symbol('theta_{1}')), Symbol('n_{2}')*sin(Symbol('theta_{2}')))"),
    "gibbs free energy": Named("Gibbs free energy", r"\Delta G = \Delta H - T \Delta S",
                               "Eq(Symbol('Delta')*Symbol('G'), Symbol('Delta')*Symbol('H') - T*Symbol('Delta')*Symbol('S'))"),
    "stefan-boltzmann law": Named("Stefan–Boltzmann law", r"j = \sigma T^{4}", "Eq(j, sigma*T**4)"),
    "photoelectric equation": Named("Einstein's photoelectric equation", r"E_{k} = h f - \phi",
                                    "Eq(Symbol('E_{k}'), h*f - phi)"),
    "momentum": Named("momentum", r"p = m v", "Eq(p, m*v)"),
    "work done": Named("work done by a force", r"W = F d", "Eq(W, F*d)"),
    "electric power": Named("electric power", r"P = V I", "Eq(P, V*Symbol('I'))"),
    "density": Named("density", r"\rho = \frac{m}{V}", "Eq(rho, m/V)"),
    "gravitational potential energy": Named("gravitational potential energy", r"E_{p} = m g h",
                                            "Eq(Symbol('E_{p}'), m*g*h)"),
    "volume of a sphere": Named("volume of a sphere", r"V = \frac{4}{3} \pi r^{3}", "Eq(V, 4*pi*r**3/3)"),
    "surface area of a sphere": Named("surface area of a sphere", r"A = 4 \pi r^{2}", "Eq(A, 4*pi*r**2)"),
    "equation of a line": Named("equation of a line", r"y = m x + b", "Eq(y, m*x + b)"),
    "compound interest": Named("compound interest", r"A = P \cdot \left(1 + \frac{r}{n}\right)^{n t}",
                               "Eq(A, P*(1 + r/n)**(n*t))"),
    "geometric series": Named("sum of a geometric series", r"\sum_{k=0}^{\infty} r^{k} = \frac{1}{1 - r}",
                              "Eq(Sum(r**k, Tuple(k, 0, oo)), 1/(1 - r))"),
}



ALIASES: dict[str, str] = {
    "quadratic formula": "quadratic formula", "quadratic equation formula": "quadratic formula",
    "pythagorean theorem": "pythagorean theorem", "pythagoras' theorem": "pythagorean theorem",
    "pythagoras's theorem": "pythagorean theorem", "pythagoras theorem": "pythagorean theorem",
    "pythagoras": "pythagorean theorem", "euler's identity": "euler's identity",
    "euler identity": "euler's identity", "eulers identity": "euler's identity",
    "euler's formula": "euler's formula", "euler formula": "euler's formula",
    "mass-energy equivalence": "mass-energy equivalence",
    "mass–energy equivalence": "mass-energy equivalence",
    "e=mc^2": "mass-energy equivalence", "e = mc^2": "mass-energy equivalence",
    "e=mc²": "mass-energy equivalence",
    "newton's second law": "newton's second law", "newtons second law": "newton's second law",
    "area of a circle": "area of a circle", "circle area": "area of a circle",
    "circumference of a circle": "circumference of a circle", "ideal gas law": "ideal gas law",
    "difference of squares": "difference of squares", "difference of two squares": "difference of squares",
    "square of a sum": "binomial square", "binomial square": "binomial square",
    "sum of the first n integers": "sum of the first n integers", "gauss sum": "sum of the first n integers",
    "sum of the first n natural numbers": "sum of the first n integers",
    "kinetic energy": "kinetic energy", "law of cosines": "law of cosines", "cosine rule": "law of cosines",
    "ohm's law": "ohm's law", "ohms law": "ohm's law", "pythagorean identity": "pythagorean identity",
    "coulomb's law": "coulomb's law", "coulombs law": "coulomb's law",
    "gaussian integral": "gaussian integral",
    "suvat": "uniform acceleration", "equation of motion": "uniform acceleration",
    "schrödinger equation": "time-independent schrödinger equation",
    "schrodinger equation": "time-independent schrödinger equation",
    "time-independent schrödinger equation": "time-independent schrödinger equation",
    "time-independent schrodinger equation": "time-independent schrödinger equation",
    "nernst equation": "nernst equation", "arrhenius equation": "arrhenius equation",
    "michaelis-menten equation": "michaelis-menten equation", "michaelis–menten equation": "michaelis-menten equation",
    "michaelis menten equation": "michaelis-menten equation", "beer-lambert law": "beer-lambert law",
    "beer–lambert law": "beer-lambert law", "beer's law": "beer-lambert law", "boyle's law": "boyle's law",
    "boyles law": "boyle's law", "charles's law": "charles's law", "charles' law": "charles's law",
    "charles law": "charles's law", "hooke's law": "hooke's law", "hookes law": "hooke's law",
    "newton's law of universal gravitation": "universal gravitation", "law of universal gravitation":
        "universal gravitation", "newton's law of gravitation": "universal gravitation",
    "planck relation": "planck relation", "planck's equation": "planck relation",
    "planck-einstein relation": "planck relation", "de broglie wavelength": "de broglie wavelength",
    "de broglie equation": "de broglie wavelength", "de broglie relation": "de broglie wavelength",
    "wave speed equation": "wave speed", "wave equation v = f lambda": "wave speed",
    "snell's law": "snell's law", "snells law": "snell's law", "gibbs free energy equation": "gibbs free energy",
    "gibbs free energy": "gibbs free energy", "gibbs equation": "gibbs free energy",
    "stefan-boltzmann law": "stefan-boltzmann law", "stefan–boltzmann law": "stefan-boltzmann law",
    "photoelectric equation": "photoelectric equation", "einstein's photoelectric equation": "photoelectric equation",
    "momentum formula": "momentum", "momentum equation": "momentum", "formula for momentum": "momentum",
    "work done formula": "work done", "formula for work done": "work done", "electric power formula": "electric power",
    "density formula": "density", "formula for density": "density",
    "gravitational potential energy": "gravitational potential energy",
    "volume of a sphere": "volume of a sphere", "sphere volume": "volume of a sphere",
    "surface area of a sphere": "surface area of a sphere", "equation of a line": "equation of a line",
    "slope-intercept form": "equation of a line", "equation of a straight line": "equation of a line",
    "compound interest formula": "compound interest", "compound interest": "compound interest",
    "geometric series": "geometric series", "sum of a geometric series": "geometric series",
}
