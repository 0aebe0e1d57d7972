"""Brand colours that refer to one another: references, mixes and the roles' defaults.

A colour of ``brand.yaml`` (a role such as ``primary_dark``, or an entry of the
chart palette) is written in one of four ways:

- ``{hex: "#15396B", cmyk: [100, 75, 18, 25], name: Blue}``: its own value, the
  print value optional;
- ``"#15396B"``: the same without a print value or a name;
- ``primary``: the name of another role, whose value (and print value) it takes;
- ``{mix: primary, with: paper, amount: 90}``: a mix of two colours (role names or
  hex values), ``amount`` percent of the way from ``mix`` to ``with`` (``90`` or
  ``"90%"``); ``cmyk`` and ``name`` may be given beside it.

A mix is made in OKLab (Björn Ottosson, "A perceptual color space for image
processing", 2020), as CSS Color 5 ``color-mix(in oklab, primary, paper 90%)``
does: equal steps of ``amount`` look like equal steps of lightness and hue, where a
mix of sRGB values turns greyish midway. The result is clipped to the sRGB gamut
per channel.

Only ``primary`` and ``accent`` must be given; every other role has a default
derived from them (:data:`ROLE_DEFAULTS`, :data:`CHART_DEFAULT`), so a brand that
changes ``primary`` moves its dark shade, tints, rules and chart palette with it,
unless a role is set on purpose. A name that is no role, or roles that refer to one
another in a circle, are errors of the role that names them.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
ROLES = ("primary", "primary_dark", "accent", "ink", "muted", "paper", "tint", "rule",
         "positive", "negative")
"""The colour roles of a brand, as the stylesheets see them (``--color-<role>``)."""
MIX_KEYS = ("mix", "with", "amount", "cmyk", "name")

BLACK = "#000000"
ROLE_DEFAULTS: dict[str, Any] = {
    "primary_dark": {"mix": "primary", "with": BLACK, "amount": 25},
    "ink": {"mix": "#1A1A1A", "with": "primary", "amount": 20},
    "muted": {"mix": "ink", "with": "paper", "amount": 35},
    "paper": "#FFFFFF",
    "tint": {"mix": "primary", "with": "paper", "amount": 90},
    "rule": {"mix": "primary", "with": "paper", "amount": 75},
    "positive": "#2E7D4F",
    "negative": "#B3261E",
}
"""The value of each role a brand leaves out, in the brand file's own syntax: the
dark shade (openers, back cover) darkens ``primary`` towards black, the text colour
is a near black with a fifth of ``primary`` in it, the tint and rule lighten
``primary`` towards the paper, and secondary text is the ink lightened (still
above the 4.5 : 1 contrast of WCAG 2.1 AA on white); the status colours are a fixed
green and red."""
CHART_DEFAULT: list[Any] = [
    "primary",
    {"mix": "primary", "with": "paper", "amount": 35},
    "accent",
    {"mix": "primary", "with": "paper", "amount": 60},
    "muted",
]
"""The chart palette a brand leaves out: the primary colour, a lighter step of it,
the accent, a lighter step still, and the muted grey."""


class Broken(dict):
    """A colour that cannot be resolved, with what to say: the role's validator
    raises its message (``"what is wrong; what to do"``). A dict, so that the
    message is not followed by the value it stands in for."""

    def __init__(self, message: str):
        super().__init__()
        self.message = message


class _Unusable(Exception):
    """A colour that refers to a colour with an error of its own (reported there)."""


# --------------------------------------------------------------------------- OKLab

def _to_linear(channel: float) -> float:
    """sRGB transfer function inverted (IEC 61966-2-1)."""
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _from_linear(channel: float) -> float:
    value = 12.92 * channel if channel <= 0.0031308 else 1.055 * channel ** (1 / 2.4) - 0.055
    return min(1.0, max(0.0, value))


def hex_to_oklab(value: str) -> tuple[float, float, float]:
    """``#RRGGBB`` (sRGB) as OKLab (L, a, b), by Ottosson's matrices."""
    r, g, b = (_to_linear(int(value[i:i + 2], 16) / 255) for i in (1, 3, 5))
    l_ = (0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b) ** (1 / 3)
    m_ = (0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b) ** (1 / 3)
    s_ = (0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b) ** (1 / 3)
    return (0.2104542553 * l_ + 0.7936177850 * m_ - 0.0040720468 * s_,
            1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_,
            0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_)


def oklab_to_hex(lab: tuple[float, float, float]) -> str:
    """OKLab (L, a, b) as ``#RRGGBB``, each sRGB channel clipped to 0–255."""
    lightness, a, b = lab
    l_ = (lightness + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m_ = (lightness - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s_ = (lightness - 0.0894841775 * a - 1.2914855480 * b) ** 3
    rgb = (4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
           -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
           -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_)
    return "#" + "".join(f"{round(_from_linear(c) * 255):02X}" for c in rgb)


def mix(first: str, second: str, amount: float) -> str:
    """``amount`` (0–1) of the way from the hex colour ``first`` to ``second``, in OKLab
    (CSS Color 5 ``color-mix(in oklab, first, second amount*100%)``)."""
    (l1, a1, b1), (l2, a2, b2) = hex_to_oklab(first), hex_to_oklab(second)
    return oklab_to_hex((l1 + (l2 - l1) * amount, a1 + (a2 - a1) * amount,
                         b1 + (b2 - b1) * amount))


def lighter(value: str, amount: float) -> str:
    """The hex colour ``value`` lightened by ``amount`` (0–1) in OKLCH, keeping its
    hue: lightness ``amount`` of the way to 0.95, chroma reduced by half of
    ``amount``. A step of a sequential ramp that stays recognisably the brand's hue,
    where a mix with white in OKLab (:func:`mix`) turns greyish."""
    lightness, a, b = hex_to_oklab(value)
    keep = 1 - amount / 2
    return oklab_to_hex((lightness + (0.95 - lightness) * amount, a * keep, b * keep))


# --------------------------------------------------------------------------- resolving

def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, ROLES, n=1)
    return f"did you mean '{close[0]}'?" if close else \
        "name a colour role (" + ", ".join(ROLES) + ") or write a hex value, e.g. #15396B"


def _amount(value: Any) -> float:
    """A mix's ``amount`` as a fraction: a number from 0 to 100, or such a number with %."""
    number: Any = value
    if isinstance(value, str):
        number = value.strip().removesuffix("%").strip()
        try:
            number = float(number)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) \
            or not 0 <= number <= 100:
        raise ValueError(f"has the amount {value!r}, not a percentage; write a number from 0 "
                         "to 100, e.g. amount: 40 (40 % of the way to the 'with' colour)")
    return number / 100


class _Resolver:
    """Resolves every colour of a brand's ``colors:`` (raw YAML) to ``{hex, cmyk,
    name}``, or to :class:`Broken` with its problem."""

    def __init__(self, raw: dict):
        self.specs = {role: raw[role] if role in raw else ROLE_DEFAULTS.get(role)
                      for role in ROLES}
        self.done: dict[str, Any] = {}
        self.usable: dict[str, bool] = {}
        self.stack: list[str] = []

    def role(self, role: str) -> Any:
        """The resolved value of ``role`` for the model (None when it is missing)."""
        if role not in self.done:
            if role in self.stack:  # reached again while resolving itself
                circle = self.stack[self.stack.index(role):] + [role]
                raise _Circle(circle)
            self.stack.append(role)
            try:
                self.done[role], self.usable[role] = self.value(self.specs[role])
            except _Circle as circle:
                if circle.names[0] != role:
                    raise
                self.done[role], self.usable[role] = Broken(
                    "refers to itself through " + " → ".join(circle.names)
                    + "; give one of these colours its own hex value"), False
            except ValueError as exc:
                self.done[role], self.usable[role] = Broken(str(exc)), False
            except _Unusable:
                self.done[role], self.usable[role] = {"hex": BLACK}, False
            finally:
                self.stack.pop()
        return self.done[role]

    def operand(self, name: Any) -> dict:
        """A colour named in a reference or a mix: a hex value or a role, resolved."""
        if isinstance(name, str) and HEX.match(name):
            return {"hex": name}
        if not isinstance(name, str) or name not in ROLES:
            shown = name if isinstance(name, str) else repr(name)
            raise ValueError(f"names the colour '{shown}', which the brand has not; "
                             + _suggest(str(name)))
        if self.specs[name] is None:  # a required role left out: reported as missing
            raise _Unusable
        value = self.role(name)
        if not self.usable[name]:
            raise _Unusable
        return dict(value)

    def value(self, spec: Any) -> tuple[Any, bool]:
        """(what the model validates, whether other colours can use it)."""
        if isinstance(spec, str) and not spec.startswith("#"):
            return self.operand(spec), True
        if isinstance(spec, str):
            return {"hex": spec}, bool(HEX.match(spec))
        if isinstance(spec, dict) and "mix" in spec:
            unknown = [key for key in spec if key not in MIX_KEYS]
            if unknown:
                close = difflib.get_close_matches(str(unknown[0]), MIX_KEYS, n=1)
                raise ValueError(f"has the unknown key '{unknown[0]}' in a mix; " + (
                    f"did you mean '{close[0]}'?" if close else
                    "a mix has the keys " + ", ".join(MIX_KEYS)))
            if "with" not in spec or "amount" not in spec:
                raise ValueError("is a mix without 'with' or 'amount'; write e.g. "
                                 "{mix: primary, with: paper, amount: 90}")
            amount = _amount(spec["amount"])
            first, second = self.operand(spec["mix"]), self.operand(spec["with"])
            out = {"hex": mix(first["hex"], second["hex"], amount)}
            out.update({key: spec[key] for key in ("cmyk", "name") if key in spec})
            return out, True
        if isinstance(spec, dict):
            return spec, _valid(spec)
        raise ValueError("is not a colour; write a hex value (\"#15396B\"), a role "
                         "(primary), {hex: \"#15396B\", cmyk: [100, 75, 18, 25]} or "
                         "{mix: primary, with: paper, amount: 90}")


class _Circle(Exception):
    def __init__(self, names: list[str]):
        super().__init__(names)
        self.names = names


def _valid(spec: dict) -> bool:
    from .model import Color  # the model imports this module
    try:
        Color.model_validate(spec)
    except ValueError:  # pydantic's ValidationError is one
        return False
    return True


def resolve_colors(raw: Any) -> Any:
    """The ``colors:`` mapping of a brand file with every role and chart colour
    resolved to ``{hex, cmyk, name}`` (a problem as :class:`Broken`), the roles left
    out filled in from :data:`ROLE_DEFAULTS` and the palette from
    :data:`CHART_DEFAULT`; keys that are no role are kept for the model to refuse.
    Anything but a mapping is returned as it is."""
    if not isinstance(raw, dict):
        return raw
    resolver = _Resolver(raw)
    out = {key: value for key, value in raw.items() if key not in ROLES and key != "chart"}
    for role in ROLES:
        if resolver.specs[role] is not None:
            out[role] = resolver.role(role)
    chart = raw.get("chart", CHART_DEFAULT)
    if isinstance(chart, list):
        entries = []
        for spec in chart:
            try:
                entries.append(resolver.value(spec)[0])
            except ValueError as exc:
                entries.append(Broken(str(exc)))
            except (_Unusable, _Circle):
                entries.append({"hex": BLACK})
        out["chart"] = entries
    else:
        out["chart"] = chart
    return out
