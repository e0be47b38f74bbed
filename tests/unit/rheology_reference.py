#!/usr/bin/env python3
"""Reference values for tests/unit/rheology_laws_test.cpp (python3 standard library only).

Written from the published formulas, not from the C++ header, and evaluated in 50-digit decimal
arithmetic, so the printed numbers are the exact values of the formulas rounded once to double:

* in vivo viscosity, Pries et al. 1994 Circ Res 75:904 (with the 1.1 um endothelial surface layer
  and the MCV diameter correction as Secomb's NetFlowV2 applies them; see also Pries & Secomb 2005
  Am J Physiol 289:H2657):
      D' = D (92/MCV)^(1/3)
      eta45 = 6 exp(-0.085 D') + 3.2 - 2.44 exp(-0.06 D'^0.645)
      C = (0.8 + exp(-0.075 D')) (-1 + 1/(1 + 10^-11 D'^12)) + 1/(1 + 10^-11 D'^12)
      eta_rel = [1 + (eta45 - 1) ((1-H)^C - 1)/((1-0.45)^C - 1) (D'/(D'-1.1))^2] (D'/(D'-1.1))^2
* in vitro viscosity, Pries, Neuhaus & Gaehtgens 1992 Am J Physiol 263:H1770:
      eta45 = 220 exp(-1.3 D) + 3.2 - 2.44 exp(-0.06 D^0.645), C as above,
      eta_rel = 1 + (eta45 - 1) ((1-H)^C - 1)/((1-0.45)^C - 1)
* phase separation, Pries & Secomb 2005 (logit form of Pries et al. 1989/1990):
      logit(FQE) = A + B logit((FQB - X0)/(1 - 2 X0)), FQE = 0 / 1 outside X0 < FQB < 1 - X0,
      A = -13.29 ((Da/Db)^2 - 1)/((Da/Db)^2 + 1) (1-H)/DF, B = 1 + 6.98 (1-H)/DF, X0 = 0.964 (1-H)/DF

Usage: python3 tests/unit/rheology_reference.py   (prints the C++ table rows to paste into the test)
"""
from decimal import Decimal, getcontext

getcontext().prec = 50

ONE = Decimal(1)


def dec(x):
    """Exact decimal value of the double the C++ test passes (e.g. 0.45 -> 0.4500000000000000111...)."""
    return Decimal(float(x))


def exp(x):
    return x.exp()


def cpar_c(d):
    """Exponent C of the haematocrit dependence (same fit in vitro and in vivo)."""
    s = ONE / (ONE + Decimal("1e-11") * d ** 12)
    return (Decimal("0.8") + exp(Decimal("-0.075") * d)) * (-ONE + s) + s


def hd_factor(c, h):
    return ((ONE - h) ** c - ONE) / ((ONE - Decimal("0.45")) ** c - ONE)


def eta_invivo(d_um, h, mcv_fl=92):
    d = dec(d_um) * (Decimal(92) / Decimal(mcv_fl)) ** (ONE / Decimal(3))
    h = dec(h)
    eta45 = (Decimal(6) * exp(Decimal("-0.085") * d) + Decimal("3.2")
             - Decimal("2.44") * exp(Decimal("-0.06") * d ** Decimal("0.645")))
    ratio = (d / (d - Decimal("1.1"))) ** 2
    return (ONE + (eta45 - ONE) * hd_factor(cpar_c(d), h) * ratio) * ratio


def eta_invitro(d_um, h):
    d = dec(d_um)
    h = dec(h)
    eta45 = (Decimal(220) * exp(Decimal("-1.3") * d) + Decimal("3.2")
             - Decimal("2.44") * exp(Decimal("-0.06") * d ** Decimal("0.645")))
    return ONE + (eta45 - ONE) * hd_factor(cpar_c(d), h)


def fqe(fqb, da, db, df, h):
    fqb, da, db, df, h = (dec(v) for v in (fqb, da, db, df, h))
    q = (da / db) ** 2
    a = Decimal("-13.29") * (q - ONE) / (q + ONE) * (ONE - h) / df
    b = ONE + Decimal("6.98") * (ONE - h) / df
    x0 = Decimal("0.964") * (ONE - h) / df
    if fqb <= x0:
        return Decimal(0)
    if fqb >= ONE - x0:
        return ONE
    x = (fqb - x0) / (ONE - Decimal(2) * x0)
    logit_e = a + b * (x / (ONE - x)).ln()
    return ONE / (ONE + exp(-logit_e))


DIAMETERS = [4, 6, 8, 10, 20, 50, 100]
HAEMATOCRITS = [0.0, 0.2, 0.45, 0.6]
PHASE_CASES = [  # FQB, D_alpha, D_beta, D_parent, H_parent
    (0.5, 6, 6, 10, 0.45),
    (0.3, 6, 8, 10, 0.45),
    (0.7, 8, 6, 10, 0.45),
    (0.5, 8, 5, 12, 0.30),
    (0.2, 20, 15, 25, 0.45),
    (0.9, 5, 7, 8, 0.20),
    (0.12, 4, 4, 6, 0.45),
    (0.6, 30, 30, 40, 0.40),
    (0.05, 4, 4, 6, 0.45),  # below X0 = 0.0884: 0
    (0.95, 4, 4, 6, 0.45),  # above 1 - X0: 1
]


def c_zero_diameter():
    """The diameter where C(D) changes sign (bisection in decimal arithmetic), as a double."""
    lo, hi = Decimal(7), Decimal(9)
    for _ in range(200):
        mid = (lo + hi) / 2
        if cpar_c(mid) > 0:
            lo = mid
        else:
            hi = mid
    return float(lo)


def g(x):
    return "%.17g" % float(x)


def main():
    print("// in vivo, human (MCV 92 fl): {D_um, H, eta_rel}")
    for d in DIAMETERS:
        for h in HAEMATOCRITS:
            print("      {%s, %s, %s}," % (d, h, g(eta_invivo(d, h))))
    print("// in vivo, rat (MCV 55 fl): {D_um, H, eta_rel}")
    for d in (4, 6, 10):
        print("      {%s, %s, %s}," % (d, 0.45, g(eta_invivo(d, 0.45, 55))))
    print("// in vitro: {D_um, H, eta_rel}")
    for d in DIAMETERS:
        for h in HAEMATOCRITS:
            print("      {%s, %s, %s}," % (d, h, g(eta_invitro(d, h))))
    d0 = c_zero_diameter()
    print("// at the zero of C, D = %s: {D_um, H, eta_rel in vivo, eta_rel in vitro}" % repr(d0))
    for h in (0.2, 0.45, 0.6):
        print("      {%s, %s, %s, %s}," % (repr(d0), h, g(eta_invivo(d0, h)), g(eta_invitro(d0, h))))
    print("// phase separation: {FQB, D_alpha, D_beta, D_parent, H_parent, FQE}")
    for c in PHASE_CASES:
        print("      {%s, %s, %s, %s, %s, %s}," % (c + (g(fqe(*c)),)))


if __name__ == "__main__":
    main()
