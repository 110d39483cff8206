"""Fixtures for the browser page's in-process tests (imported by tests/test_app.py).

``page`` renders ``sim.app.Page`` inside Solara's AppLayout without a browser (Solara's
test utilities; Mesa's own SolaraViz tests work the same way) and records every model the
page builds, so tests can check which model the page holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import ipyvuetify as v
import ipywidgets
import pytest
import solara

import sim.app.page as app
from sim.model import DiffusionModel


@solara.component
def _InLayout() -> None:
    # The server wraps pages in AppLayout; its sidebar holds the controls.
    with solara.AppLayout():
        app.Page()


class PageDriver:
    """Clicks, types and reads the rendered page the way a user would."""

    def __init__(self, rc, built: list[DiffusionModel], sessions: list[app.Session]) -> None:
        self.rc = rc
        self.built = built
        self.sessions = sessions

    @property
    def model(self) -> DiffusionModel:
        """The model the page shows (the last one it built)."""
        return self.built[-1]

    def button(self, label: str):
        finder = self.rc.find(v.Btn, children=[label])
        finder.assert_single()
        return finder.widget

    def click(self, label: str) -> None:
        self.button(label).click()

    def control(self, ref: str):
        finder = self.rc.find(meta_ref=ref)
        finder.assert_single()
        return finder.widget

    def set_slider(self, name: str, value: float) -> None:
        self.control(f"param-{name}").v_model = value

    def select(self, ref: str, value: str) -> None:
        self.control(ref).v_model = value

    def type_text(self, ref: str, text: str) -> None:
        """Type into a text field and leave it (Solara commits text on focus-out)."""
        field = self.control(ref)
        field.v_model = text
        field.fire_event("focusout", None)

    def field_messages(self, ref: str) -> list[str]:
        return list(self.control(ref).messages or [])

    def texts(self) -> str:
        """Every HTML block and alert of the page, joined (to look for messages)."""
        parts = [w.unsafe_innerHTML or "" for w in self.rc.find(solara.widgets.HTML).widgets]
        parts += [str(c) for w in self.rc.find(v.Alert).widgets for c in w.children]
        return "\n".join(parts)

    def notice(self) -> str:
        finder = self.rc.find(meta_ref="notice")
        return "" if not finder.widgets else " ".join(map(str, finder.widget.children))

    def summary(self) -> str:
        return self.control("summary").unsafe_innerHTML

    def images(self) -> dict[str, bytes]:
        """PNG bytes of every view, by name ('network', 'stages', ...)."""
        out = {}
        for w in self.rc.find(ipywidgets.Image).widgets:
            for cls in w._dom_classes:
                if cls.startswith("tis-view-"):
                    out[cls.removeprefix("tis-view-")] = bytes(w.value)
        return out

    def render_times(self) -> dict[str, float]:
        """Seconds each view took to draw in the latest frame."""
        return dict(self.sessions[-1].times.seconds)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "condition not met in time"
            time.sleep(0.05)


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[PageDriver]:
    """The page, rendered in-process, with every model (and session) it builds recorded."""
    built: list[DiffusionModel] = []
    sessions: list[app.Session] = []
    real_build, real_session = app.build_model, app.Session

    def recording_build(kwargs):
        built.append(real_build(kwargs))
        return built[-1]

    def recording_session():
        sessions.append(real_session())
        return sessions[-1]

    monkeypatch.setattr(app, "build_model", recording_build)
    monkeypatch.setattr(app, "Session", recording_session)
    _, rc = solara.render(_InLayout(), handle_error=False)
    driver = PageDriver(rc, built, sessions)
    try:
        yield driver
    finally:
        if driver.rc.find(v.Btn, children=["❚❚"]).widgets:
            driver.click("❚❚")  # stop a Play thread before the page goes away
        rc.close()
