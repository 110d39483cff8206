"""The browser page of tis-sim: watch the district, change a policy, compare, see the spread.

``tis-sim viz`` serves :func:`Page` with Solara. The page keeps the layout and controls of
Mesa's SolaraViz (sidebar with Reset / Play / Step and the model parameters; views in the
main area, drawn with matplotlib) but is composed here, because SolaraViz 3.3.1 rebuilds the
model from every slider's value (which silently undoes a preset), raises inside the click
handler on a bad value, builds on the event thread, and cannot keep a network layout across
Resets. See ``sim.app.controls`` for presets, sliders and policies, ``sim.app.builder`` for
builds off the event thread, ``sim.app.compare`` for Compare mode.

Memory: a session's models, figures and threads belong to the session. When its tab closes
(or its connection is gone for ``SOLARA_KERNEL_CULL_TIMEOUT``), Solara closes the session,
the page's cleanup stops Play and any build, and releases every model it built, so the
server's memory returns to what it was (the browser test measures it).

The model never imports this module; this module only reads the model's public state.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import solara
import solara.lab

from sim.app import compare, compare_view, info
from sim.app.builder import Job
from sim.app.controls import (
    Form,
    Message,
    ParamsPanel,
    field_label,
    format_value,
    pending_changes,
)
from sim.app.render import RenderTimes
from sim.app.runs import LiveRun
from sim.app.views import SimulationTab, Views, build_run
from sim.app.widgets import CSS, Shortcuts, apply_theme
from sim.dynamics.submodels import DAYS_PER_YEAR
from sim.params import PARAMS
from sim.study.bounds import LIMITS

rv = solara.v  # Vuetify components as Solara elements (reacton.ipyvuetify)

log = logging.getLogger(__name__)

TITLE = "tis-sim: how classroom technology spreads through integration specialists"
#: Play: pause between frames (ms) and school days per frame, at page load.
DEFAULT_INTERVAL_MS = 50
DEFAULT_DAYS_PER_STEP = 1
#: Run to day N draws a frame about this often (s), stepping as many days as fit.
RUN_TO_FRAME_S = 0.4

apply_theme()


def return_freed_memory() -> None:
    """Give freed heap pages back to the operating system (glibc's ``malloc_trim``).

    Without it the server's resident memory stays at its peak after a session's models are
    freed (glibc keeps freed small blocks for reuse). A no-op where glibc is absent.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class Session:
    """Per-tab objects that are not UI state: render times, jobs and what the tab shows.

    Models free themselves once nothing refers to them (``sim.agents``), so closing the tab
    stops its jobs and lets go of ``shown``.
    """

    def __init__(self) -> None:
        self.times = RenderTimes()
        self.jobs: list[Job] = []
        self.closed = False
        #: The page's box of what it shows (runs, figures, the comparison).
        self.shown: dict[str, Any] = {}
        #: Counts Play / Run-to starts: a play loop stops when a newer one has started.
        self.plays = 0
        #: The last frame (tick) the page has finished drawing.
        self.drawn = 0
        self._drawn = threading.Condition()

    def mark_drawn(self, tick: int) -> None:
        """Called after each render pass."""
        with self._drawn:
            self.drawn = tick
            self._drawn.notify_all()

    def wait_drawn(self, tick: int, timeout: float = 10.0) -> None:
        """Wait until frame ``tick`` has been drawn (Play's back-pressure)."""
        with self._drawn:
            self._drawn.wait_for(lambda: self.drawn >= tick or self.closed, timeout)

    def close(self) -> None:
        """Stop this tab's work and release its models (on tab close)."""
        self.closed = True
        for job in list(self.jobs):
            job.cancel(timeout=30)
        self.jobs.clear()
        if self.shown.get("arms") is not None:
            self.shown["arms"].close()
        self.shown.clear()  # what the page showed: let it go even if a callback lingers
        gc.collect()
        return_freed_memory()


@solara.component
def StatusArea(job: Job | None, progress: tuple[float, str], notice: str | None,  # noqa: N802
               pending: list[str], on_cancel: Callable[[], None]) -> None:
    """Progress and Cancel, the last notice, and what Reset would change: fixed slots."""
    fraction, text = progress
    with rv.Html(tag="div", class_="tis-status", attributes={"aria-live": "polite"}):
        if job is not None:
            rv.Html(tag="div", class_="tis-field-label", children=[f"{job.title}: {text}"])
            rv.ProgressLinear(value=round(100 * fraction), height=8, color="primary",
                              attributes={"aria-label": f"{job.title} progress",
                                          "role": "progressbar"})
            solara.Button("Cancel", on_click=on_cancel, outlined=True, small=True,
                          color="primary").meta(ref="cancel")
    Message(notice, kind="error", ref="notice")
    Message("Reset applies: " + ", ".join(pending) if pending else None, kind="info",
            ref="pending")


@solara.component
def Page() -> None:  # noqa: N802 (the name Solara's server looks for)
    """The whole page: controls in the sidebar; Simulation, Compare and About tabs."""
    session = solara.use_memo(Session, dependencies=[])
    # The (LiveRun, Views) shown, in a box the page replaces on Reset (``tick`` redraws):
    # a reactive variable would keep its first value alive as its default.
    shown = solara.use_memo(lambda: session.shown.setdefault(
        "run", build_run(Form.for_preset().check().kwargs)) and session.shown,
        dependencies=[])
    form = solara.use_reactive(Form.for_preset())
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    # Each Play or Run-to gets its own number, the play task's dependency: a task keyed on
    # ``playing`` alone is not restarted when playing goes True -> False -> True between two
    # renders (Run to day N, then Run to end of year at once), and the page would stall.
    play_token = solara.use_reactive(0)
    target = solara.use_reactive(None)  # Run to day N: the day, or None for plain Play
    interval = solara.use_reactive(DEFAULT_INTERVAL_MS)
    days = solara.use_reactive(DEFAULT_DAYS_PER_STEP)
    innovation = solara.use_reactive(0)
    notice = solara.use_reactive(None)
    job = solara.use_reactive(None)
    progress = solara.use_reactive((0.0, ""))
    arms = solara.use_reactive(None)  # compare.Arms while comparing
    tab = solara.use_reactive(0)
    run_to = solara.use_reactive(str(DAYS_PER_YEAR))
    run, views = shown["run"]

    def cleanup() -> Callable[[], None]:
        return session.close

    solara.use_effect(cleanup, [])
    solara.use_effect(lambda: session.mark_drawn(tick.value), [tick.value])

    def current() -> LiveRun:
        return shown["run"][0]

    def advance(n: int) -> float:
        """Step ``n`` days (both arms while comparing), then redraw; returns step seconds."""
        start = time.perf_counter()
        try:
            current().step(n)
            if arms.value is not None:
                arms.value.step(n)
        except Exception as exc:  # a model bug must not take the page down
            log.exception("model step failed")
            playing.set(False)
            notice.set(f"The model failed on day {current().model.day}: {exc!r}")
        seconds = time.perf_counter() - start
        tick.set(tick.value + 1)
        session.wait_drawn(tick.value)  # one frame at a time: never outrun the page
        return seconds

    def play_loop() -> None:
        chunk, goal, mine = 1, target.value, play_token.value
        while playing.value and session.plays == mine and not session.closed:
            if goal is None:
                time.sleep(interval.value / 1000)
                if not playing.value or session.plays != mine:
                    return
                advance(days.value)
                continue
            left = goal - current().model.day
            if left <= 0:
                break
            n = min(chunk, left)
            start = time.perf_counter()
            stepping = advance(n)
            drawing = time.perf_counter() - start - stepping
            # Step as long as a frame takes to draw (at least RUN_TO_FRAME_S): drawing every
            # day would make the run mostly drawing.
            chunk = max(1, int(max(RUN_TO_FRAME_S, drawing) / max(stepping / n, 1e-5)))
        if session.plays == mine:  # not if a newer Play or Run-to has started since
            playing.set(False)

    solara.lab.use_task(play_loop, dependencies=[play_token.value], prefer_threaded=True)

    def toggle_play() -> None:
        session.plays += 1
        if playing.value:
            playing.set(False)
            return
        target.set(None)  # plain Play
        playing.set(True)
        play_token.set(session.plays)

    def start_run_to(goal: int) -> None:
        if goal > current().model.day:
            session.plays += 1
            target.set(goal)
            playing.set(True)
            play_token.set(session.plays)

    def run_to_day() -> None:
        text, today, most = run_to.value.strip(), current().model.day, LIMITS["days"].high
        if not text.isdigit() or not today < int(text) <= most:
            notice.set(f"Run to day: {text!r} is not allowed; expected a whole number after "
                       f"today (day {today}), at most {most:,} ({LIMITS['days'].what})")
            return
        notice.set(None)
        start_run_to(int(text))

    def watch_job() -> None:
        current = job.value
        if current is None:
            return
        while not current.wait(0.25):
            progress.set(current.progress())
        if not current.claim():
            return  # a newer job took over and dropped this one's result
        if current.cancelled:
            notice.set(f"{current.title} cancelled; the current run goes on.")
        elif current.error is not None:
            notice.set(f"{current.title} failed: {current.error}")
        else:
            current.on_done(current.result)
        if current in session.jobs:
            session.jobs.remove(current)
        if job.value is current:  # a new job may already have replaced it
            job.set(None)

    solara.lab.use_task(watch_job, dependencies=[job.value], prefer_threaded=True)

    def start_job(work: Callable[[Job], Any], title: str, on_done: Callable[[Any], None]) -> None:
        old = job.value
        if old is not None and not old.done:
            notice.set(f"{old.title} is still running; cancel it first.")
            return
        if old is not None:
            old.claim()  # finished but not shown yet: the new job replaces its result
        session.plays += 1  # a build (Reset, Compare) pauses Play: the run it replaces stops
        playing.set(False)
        new = Job(work, title)
        new.on_done = on_done
        session.jobs.append(new)
        progress.set((0.0, "starting"))
        notice.set(None)
        job.set(new.start())

    def reset() -> None:
        session.plays += 1
        playing.set(False)
        checked = form.value.check()
        if checked.kwargs is None:
            names = " and ".join(field_label(n) for n in checked.errors)
            notice.set(f"Not reset: {names} need a valid value (see the message under each). "
                       "The current run goes on unchanged.")
            return
        kwargs, teachers = checked.kwargs, checked.teachers

        start_job(lambda j: build_run(kwargs, j, teachers), "Building the district", show)

    def show(result: tuple[LiveRun, Views], new_arms: compare.Arms | None = None) -> None:
        """Swap in a newly built run (and comparison); release what they replace."""
        old = shown["run"][0].model
        session.jobs[:] = [j for j in session.jobs if not j.done]
        if arms.value is not None:
            arms.value.close()
        if new_arms is not None:
            if new_arms.replicates >= 2:
                def work(j: Job) -> None:
                    new_arms.batch = compare.run_replicates(j, new_arms)

                new_arms.job = Job(work, "Replicates").start()
                session.jobs.append(new_arms.job)
        shown["run"] = result
        shown["arms"] = new_arms
        arms.set(new_arms)
        if old is not result[0].model:
            return_freed_memory()
        innovation.set(min(innovation.value, max(result[0].model.cat.n - 1, 0)))
        tick.set(tick.value + 1)

    def on_compare(result: tuple[LiveRun, compare.Arms]) -> None:
        baseline, new_arms = result
        show((baseline, new_arms.views[0]), new_arms)

    def live_change(name: str, value: Any) -> None:
        try:
            current().change(name, value, PARAMS[name].label, lambda x: format_value(name, x))
        except Exception as exc:  # a UserError from set_params: show it, keep the run
            notice.set(str(exc))
            return
        tick.set(tick.value + 1)

    def end_of_year() -> None:
        start_run_to(DAYS_PER_YEAR * (current().model.day // DAYS_PER_YEAR + 1))

    # The callbacks read every per-render value through reactives (``current()``), so the
    # first render's functions stay right: passing the same objects lets the sidebar skip
    # re-rendering on every frame.
    calls = solara.use_memo(lambda: dict(
        reset=reset, advance=lambda: advance(days.value), toggle=toggle_play,
        run_to=run_to_day, end_of_year=end_of_year, live=live_change, start_job=start_job,
        on_compare=on_compare), dependencies=[])
    m = run.model
    checked = solara.use_memo(form.value.check, dependencies=[form.value])
    # (Default arguments, not a closure over ``m``: the memoized callbacks share this
    # render's closure cells, and a cell holding a model would keep it alive.)
    pending = solara.use_memo(lambda p=m.p, seed=m.seed, preset=m.preset: pending_changes(
        form.value, p, seed, preset), dependencies=[form.value, m.p, m.seed, m.preset])
    solara.Title(TITLE)
    solara.Style(CSS)
    Shortcuts(calls["toggle"])
    with rv.Html(tag="header", class_="tis-header"):
        rv.Html(tag="h1", children=[TITLE])
    with rv.Html(tag="div", class_="tis-body"):
        with rv.Html(tag="aside", attributes={"aria-label": "Run and parameters"}):
            Sidebar(calls, playing, days, interval, run_to, job.value, progress.value,
                    notice.value, pending, form, checked, arms.value is None)
        with rv.Html(tag="main"):
            with solara.lab.Tabs(value=tab.value, on_value=tab.set, lazy=True):
                with solara.lab.Tab("Simulation"):
                    SimulationTab(run, views, tick.value, innovation, session.times)
                with solara.lab.Tab("Compare a policy"):
                    compare_view.CompareTab(run, arms, checked, tick.value,
                                            calls["start_job"], calls["on_compare"],
                                            session.times)
                with solara.lab.Tab("About the model"):
                    info.AboutTab()


@solara.component
def Layout(children: list = []):  # noqa: N802, B006 (the name Solara's server looks for)
    """The page draws its own header and columns (no app bar with an unnamed menu button)."""
    return solara.Column(children=children, gap="0px", style={"padding": "0"})


@solara.component
def Sidebar(  # noqa: N802
    calls: dict[str, Callable], playing: solara.Reactive[bool], days: solara.Reactive[int],
    interval: solara.Reactive[int], run_to: solara.Reactive[str], job: Job | None,
    progress: tuple[float, str], notice: str | None, pending: list[str],
    form: solara.Reactive[Form], checked: Any, live: bool,
) -> None:
    """Run controls with the status area, then the parameter form (no per-frame props)."""
    with solara.Column(gap="12px"):
        with solara.Card(margin=0):
            solara.HTML(tag="h2", unsafe_innerHTML="Run", classes=["tis-h2"])
            RunControls(calls["reset"], calls["advance"], playing, calls["toggle"], days,
                        interval, run_to, calls["run_to"], calls["end_of_year"],
                        busy=job is not None)
            StatusArea(job, progress, notice, pending,
                       lambda: job.cancel() if job is not None else None)
        with solara.Card(margin=0):
            solara.HTML(tag="h2", unsafe_innerHTML="Parameters", classes=["tis-h2"])
            ParamsPanel(form, checked, calls["live"], live=live)


@solara.component
def RunControls(  # noqa: N802
    on_reset: Callable[[], None], on_step: Callable[[], None], playing: solara.Reactive[bool],
    on_play: Callable[[], None],
    days: solara.Reactive[int], interval: solara.Reactive[int], run_to: solara.Reactive[str],
    on_run_to: Callable[[], None], on_end_of_year: Callable[[], None], busy: bool,
) -> None:
    """Reset / Play / Step, run to a day, days per step and play speed."""
    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=on_reset, disabled=busy)
        solara.Button("Pause" if playing.value else "Play", color="primary",
                      icon_name="mdi-pause" if playing.value else "mdi-play",
                      on_click=on_play,
                      attributes={"aria-keyshortcuts": "Alt+P",
                                  "title": "Play or pause (Alt+P)"}).meta(ref="play")
        solara.Button("Step", color="primary", on_click=on_step, disabled=playing.value)
    with solara.Row(style={"align-items": "center"}):
        solara.InputText("Run to day", value=run_to, continuous_update=True).meta(ref="run-to")
        solara.Button("Run to day", on_click=on_run_to, outlined=True, color="primary",
                      disabled=playing.value)
    solara.Button("Run to end of school year", on_click=on_end_of_year, outlined=True,
                  color="primary", disabled=playing.value, block=True)
    rv.Html(tag="div", class_="tis-field-label", children=[f"Days per step: {days.value}"])
    rv.Slider(v_model=days.value, on_v_model=days.set, min=1, max=30, step=1,
              label="Days per step", hide_details=True, class_="tis-slider")
    rv.Html(tag="div", class_="tis-field-label",
            children=[f"Pause between frames: {interval.value} ms"])
    rv.Slider(v_model=interval.value, on_v_model=interval.set, min=0, max=1000, step=50,
              label="Pause between frames", hide_details=True, class_="tis-slider")
