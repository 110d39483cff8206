"""Fixtures for the browser page's in-process tests (imported by tests/test_app*.py).

``page`` renders ``sim.app.page.Page`` without a browser (Solara's test utilities; Mesa's
own SolaraViz tests work the same way) and records every model the page builds, so tests can
check which model the page holds. Builds run in a worker thread: ``reset()`` clicks Reset
and waits for the build to end, as a user waits for the progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import ipyvue
import ipyvuetify as v
import ipywidgets
import pytest
import solara

import sim.app.compare as compare
import sim.app.page as app
import sim.app.views as views
from sim.app.widgets import FigureWidget
from sim.model import DiffusionModel


class PageDriver:
    """Clicks, types and reads the rendered page the way a user would."""

    def __init__(self, rc, built: list[DiffusionModel], sessions: list[app.Session]) -> None:
        self.rc = rc
        self.built = built
        self.sessions = sessions

    @property
    def model(self) -> DiffusionModel:
        """The model the page shows (the last one the page built as its run)."""
        return self.built[-1]

    def buttons(self, label: str) -> list:
        """Buttons whose text is ``label`` (with or without an icon)."""
        return [w for w in self.rc.find(v.Btn).widgets if label in w.children]

    def button(self, label: str):
        found = self.buttons(label)
        assert len(found) == 1, f"{len(found)} buttons {label!r}"
        return found[0]

    def click(self, label: str) -> None:
        self.button(label).click()

    def control(self, ref: str):
        finder = self.rc.find(meta_ref=ref)
        finder.assert_single()
        return finder.widget

    def set_slider(self, name: str, value: float) -> None:
        self.control(f"param-{name}").v_model = value

    def select(self, ref: str, value: str) -> None:
        self.control(ref).value = value

    def type_text(self, ref: str, text: str) -> None:
        """Type into a text field and leave it (Solara commits text on focus-out)."""
        field = self.control(ref)
        field.v_model = text
        field.fire_event("focusout", None)

    def message(self, ref: str) -> str:
        """The text of a message slot ('' when empty)."""
        return " ".join(str(c) for c in self.control(ref).children)

    def texts(self) -> str:
        """Every HTML block and message of the page, joined (to look for text)."""
        parts = [w.unsafe_innerHTML or "" for w in self.rc.find(solara.widgets.HTML).widgets]
        parts += [str(c) for w in self.rc.find(ipyvue.Html).widgets for c in w.children
                  if isinstance(c, str)]
        return "\n".join(parts)

    def all_texts(self, root=None, hidden: bool = True) -> list[str]:
        """Every text a user can see or hear in the page (or under ``root``), one per item.

        HTML blocks, text children, labels, options of selects, tooltips (``title``) and
        alt texts. ``hidden=False`` leaves out the sliders' visually hidden labels (their
        accessible names, shown once more in the line above each slider).
        """
        widgets = descendants(root if root is not None else self.rc.find().widgets)
        out = []
        for w in widgets:
            out.append(getattr(w, "unsafe_innerHTML", None) or "")
            out += [c for c in getattr(w, "children", ()) or () if isinstance(c, str)]
            if hidden or not isinstance(w, v.Slider):
                out.append(str(getattr(w, "label", "") or ""))
            out += [str(i.get("text", "")) for i in getattr(w, "items", ()) or ()
                    if isinstance(i, dict)]
            attributes = getattr(w, "attributes", None) or {}
            out += [str(attributes.get(k, "")) for k in ("title", "aria-label")]
            out.append(str(getattr(w, "alt", "") or ""))
        return [t for t in out if t]

    @staticmethod
    def widgets_in(root) -> list:
        """``root`` and every widget inside it."""
        return descendants(root)

    def notice(self) -> str:
        return self.message("notice")

    def summary(self) -> str:
        return self.control("summary").unsafe_innerHTML

    def figures(self) -> dict[str, FigureWidget]:
        """Every figure widget, by view name ('network', 'stages', ...)."""
        return {w.img_class.removeprefix("tis-view-"): w
                for w in self.rc.find(FigureWidget).widgets}

    def images(self) -> dict[str, bytes]:
        """PNG bytes of every view, by name."""
        return {name: bytes(w.png) for name, w in self.figures().items()}

    def render_times(self) -> dict[str, float]:
        """Seconds each view took to draw in the latest frame."""
        return dict(self.sessions[-1].times.seconds)

    def busy(self) -> bool:
        """True while a build runs or its result is not shown yet (or Cancel is shown)."""
        return (bool(self.rc.find(meta_ref="cancel").widgets)
                or any(s.jobs and any(j.title != "Replicates" for j in s.jobs)
                       for s in self.sessions))

    def reset(self, timeout: float = 60.0) -> None:
        """Click Reset and wait until the new run is shown (or Reset was refused)."""
        before = len(self.built)
        self.click("Reset")
        self.wait_until(lambda: len(self.built) > before or "Not reset" in self.notice(),
                        timeout, lambda: f"no build after Reset; notice: {self.notice()!r}")
        self.wait_until(lambda: not self.busy(), timeout)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 60.0,
                   why: Callable[[], str] = lambda: "") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"condition not met in time {why()}"
            time.sleep(0.05)


def descendants(*roots) -> list:
    """The ``roots`` and every widget inside them (children, slots, any widget trait)."""
    out, seen, todo = [], set(), list(roots)
    while todo:
        value = todo.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, ipywidgets.Widget):
            out.append(value)
            todo += [getattr(value, k) for k in value.keys]
        elif isinstance(value, (list, tuple)):
            todo += list(value)
        elif isinstance(value, dict):
            todo += list(value.values())
    return out


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[PageDriver]:
    """The page, rendered in-process, with every model (and session) it builds recorded."""
    built: list[DiffusionModel] = []
    arms: list[DiffusionModel] = []
    sessions: list[app.Session] = []
    real_new, real_session = views.new_model, app.Session

    def recording(into: list) -> Callable:
        def new_model(kwargs, holder):
            into.append(real_new(kwargs, holder))
            return into[-1]

        return new_model

    def recording_session():
        sessions.append(real_session())
        return sessions[-1]

    monkeypatch.setattr(views, "new_model", recording(built))
    monkeypatch.setattr(compare, "new_model", recording(arms))
    monkeypatch.setattr(app, "Session", recording_session)
    _, rc = solara.render(app.Page(), handle_error=False)
    driver = PageDriver(rc, built, sessions)
    driver.arms = arms
    try:
        yield driver
    finally:
        if driver.buttons("Pause"):
            driver.click("Pause")  # stop a Play thread before the page goes away
        rc.close()
