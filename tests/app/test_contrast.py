"""Contrast of every theme: each text/background pair the app draws, in every shipped theme, is
at least 4.5:1 (WCAG AA for text), computed from the colours Textual derives from the theme
file (``auto 60%`` text blended onto its background, as the screen shows it); pane edges at
least 3:1 (WCAG's least for the edges of a control); and each profile's severity badge."""

from __future__ import annotations

import pytest
from textual.color import Color

from warroom.app.formatting import badge_style, contrast, rgb
from warroom.app.themes import load_themes
from warroom.core.profiles import ProfileRegistry

THEMES = load_themes()
BACKGROUNDS = ("background", "surface", "panel", "footer-background")
TEXTS = ("text", "text-muted", "text-primary", "text-secondary", "text-accent", "text-warning",
         "text-error", "text-success", "foreground", "footer-key-foreground",
         "footer-description-foreground")
# Text on a coloured block: (text, block) as the stylesheets pair them.
BLOCKS = [
    ("text", "warning"),                       # the small-terminal notice, the action label
    ("text", "primary"),                       # the entry line's note / change label
    ("text", "accent"), ("text", "success"),   # decision, result labels
    ("text", "secondary"),                     # the search label
    ("block-cursor-foreground", "block-cursor-background"),  # the timeline's cursor row
    ("text", "panel-lighten-1"),              # a notification
]


def colour(variables: dict[str, str], value: str, under: Color) -> Color:
    """A variable's value as drawn over ``under``: ``auto N%`` is Textual's contrasting text at
    that opacity, a colour with alpha is blended onto what is under it."""
    value = variables.get(value, value)
    if value.startswith("auto"):
        alpha = float(value.split()[1].rstrip("%")) / 100 if " " in value else 1.0
        return under.get_contrast_text(alpha)
    c = Color.parse(value)
    return under + c if c.a < 1 else c


def pairs(name: str):
    variables = THEMES.themes[name].to_color_system().generate()
    screen = Color.parse(variables["background"])
    for back in BACKGROUNDS:
        under = colour(variables, back, screen)
        for text in TEXTS:
            yield f"{text} on {back}", colour(variables, text, under), under
    for text, back in BLOCKS:
        under = colour(variables, back, screen)
        yield f"{text} on {back}", colour(variables, text, under), under


@pytest.mark.parametrize("name", sorted(THEMES.themes))
def test_every_text_pair_of_every_theme_reads(name):
    weak = [f"{what}: {contrast(fore.rgb, back.rgb):.2f}" for what, fore, back in pairs(name)
            if contrast(fore.rgb, back.rgb) < 4.5]
    assert not weak, f"{name}: under 4.5:1: {weak}"


@pytest.mark.parametrize("name", sorted(THEMES.themes))
def test_pane_edges_stand_out(name):
    variables = THEMES.themes[name].to_color_system().generate()
    screen = Color.parse(variables["background"])
    for edge in ("border", "border-blurred"):
        assert contrast(colour(variables, edge, screen).rgb, screen.rgb) >= 3, edge


def test_every_severity_badge_reads():
    profiles = ProfileRegistry()
    weak = []
    for name in profiles.names():
        for sev in profiles.get(name).severities:
            style = badge_style(sev.colour).split()
            fore, back = rgb(style[1]), rgb(style[3])
            if contrast(fore, back) < 4.5:
                weak.append(f"{name} {sev.label} {sev.colour}")
    assert not weak, weak
    assert badge_style("red", no_color=True) == "bold reverse"
