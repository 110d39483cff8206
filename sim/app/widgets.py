"""Small front-end pieces of the page: figures with alt text, the keyboard shortcut, styles.

``FigureImage`` sends a figure as PNG bytes (binary, as ipywidgets' Image does) and shows it
as an ``<img>`` with alt text, which ipywidgets' Image cannot carry. ``Shortcuts`` listens
for Alt+P (play/pause). ``CSS`` sets visible focus, the message slots, headings and sizes;
``THEME`` darkens Vuetify's default colours so that white text on buttons and alerts meets
WCAG AA contrast (4.5:1).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ipyvuetify as v
import solara
import solara.lab
import traitlets

_VUE = Path(__file__).parent / "vue"

#: Vuetify theme colours with at least 4.5:1 contrast against white text (and white pages).
THEME = {"primary": "#1565c0", "secondary": "#37474f", "accent": "#6a1b9a",
         "error": "#b00020", "info": "#0b5cad", "warning": "#8a4b00", "success": "#1b5e20"}

CSS = """
:focus-visible { outline: 3px solid #b35900 !important; outline-offset: 2px; }
.v-slider__thumb-container:focus-within .v-slider__thumb,
.v-slider--focused .v-slider__thumb { box-shadow: 0 0 0 4px #b35900; }
.tis-h2 { font-size: 1.15rem; font-weight: 600; margin: 4px 0 8px 0; }
.tis-h3 { font-size: 1rem; font-weight: 600; margin: 14px 0 4px 0; }
.tis-field { margin-bottom: 6px; }
.tis-field-label { font-size: 0.875rem; color: #212121; }
.tis-slider .v-label { position: absolute !important; width: 1px; height: 1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.tis-hint { font-size: 0.8125rem; color: #424242; margin: 6px 0; }
.tis-msg { font-size: 0.8125rem; line-height: 1.35; border-radius: 4px; }
.tis-msg-empty { display: none; }
.tis-msg-error { color: #8b0000; background: #fdecea; padding: 4px 6px; margin-top: 2px; }
.tis-msg-info { color: #0d3c61; background: #e8f4fd; padding: 4px 6px; margin-top: 2px; }
.tis-msg-warning { color: #5a3200; background: #fff4e5; padding: 4px 6px; margin-top: 2px; }
.tis-figure { width: 100%; height: auto; display: block; }
.tis-header { background: #1565c0; color: #fff; padding: 10px 20px; }
.tis-header h1 { font-size: 1.25rem; font-weight: 500; margin: 0; }
.tis-body { display: grid; grid-template-columns: 340px minmax(0, 1fr); gap: 16px;
  padding: 12px 16px; align-items: start; }
@media (max-width: 900px) { .tis-body { grid-template-columns: minmax(0, 1fr); } }
.tis-disclosure { text-transform: none !important; letter-spacing: normal !important;
  justify-content: flex-start !important; padding: 0 4px !important; }
.v-btn { text-transform: none !important; letter-spacing: normal !important; }
.tis-downloads { display: flex; flex-wrap: wrap; gap: 4px; align-items: center;
  font-size: 0.875rem; color: #212121; }
.tis-table td { padding: 3px 6px; border-bottom: 1px solid #e0e0e0; vertical-align: top; }
.tis-about p, .tis-about li { font-size: 0.9375rem; line-height: 1.5; }
.v-application a { color: #0b5cad; }
"""


def apply_theme() -> None:
    """Set the Vuetify light theme to :data:`THEME` (once per server process)."""
    for name, color in THEME.items():
        setattr(solara.lab.theme.themes.light, name, color)


class FigureWidget(v.VuetifyTemplate):
    """An ``<img>`` fed with PNG bytes, with alt text and CSS classes."""

    template_file = (str(_VUE / "figure.vue"), "figure.vue")
    png = traitlets.Bytes(None, allow_none=True).tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    img_class = traitlets.Unicode("").tag(sync=True)


class ShortcutsWidget(v.VuetifyTemplate):
    """Listens for Alt+P anywhere on the page and calls ``on_toggle``."""

    template_file = (str(_VUE / "shortcuts.vue"), "shortcuts.vue")

    def __init__(self, on_toggle: Callable[[], None] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.on_toggle = on_toggle

    def vue_toggle_play(self, *_: object) -> None:
        """Called by the page's keydown listener."""
        if self.on_toggle is not None:
            self.on_toggle()


class SelectWidget(v.VuetifyTemplate):
    """A native ``<select>`` with its label; ``value`` follows the user's choice."""

    template_file = (str(_VUE / "select.vue"), "select.vue")
    label = traitlets.Unicode("").tag(sync=True)
    items = traitlets.List([]).tag(sync=True)
    value = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    error = traitlets.Bool(False).tag(sync=True)

    def vue_choose(self, value: str) -> None:
        """Called by the browser when the user picks an option."""
        self.value = str(value)


@solara.component
def NativeSelect(  # noqa: N802
    label: str, items: list[tuple[str, str]], value: str, on_value: Callable[[str], None],
    disabled: bool = False, error: bool = False,
):
    """A labelled native select: ``items`` are (value, text) pairs."""
    return SelectWidget.element(label=label, value=value, on_value=on_value,
                                disabled=disabled, error=error,
                                items=[{"value": k, "text": t} for k, t in items])


@solara.component
def Disclosure(label: str, children: list = [], start_open: bool = False):  # noqa: N802, B006
    """A button that shows or hides its children (``aria-expanded`` on the button).

    Vuetify 2's expansion panels put ``aria-expanded`` on a plain div, which assistive
    technology ignores (axe: aria-allowed-attr).
    """
    shown = solara.use_reactive(start_open)
    with solara.Column(gap="2px") as main:
        solara.Button(label, text=True, color="primary",
                      icon_name="mdi-chevron-down" if shown.value else "mdi-chevron-right",
                      on_click=lambda: shown.set(not shown.value),
                      attributes={"aria-expanded": "true" if shown.value else "false"},
                      classes=["tis-disclosure"])
        if shown.value:
            solara.Column(children=children, gap="2px")
    return main


@solara.component
def FigureImage(png: bytes, alt: str, name: str) -> None:  # noqa: N802
    """A figure with its alt text (class ``tis-view-NAME`` for tests and styles)."""
    FigureWidget.element(png=png, alt=alt, img_class=f"tis-view-{name}")


@solara.component
def Shortcuts(on_toggle: Callable[[], None]) -> None:  # noqa: N802
    """The Alt+P listener (renders nothing visible)."""
    widget = ShortcutsWidget.element()

    def connect() -> None:
        solara.get_widget(widget).on_toggle = on_toggle

    solara.use_effect(connect, [on_toggle])
