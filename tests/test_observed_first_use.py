"""Node tables that mark observed first use (adopted_day, initial_user) start the run."""

from pathlib import Path

import numpy as np
import pytest

from sim.dynamics.submodels import Stage
from sim.model import DiffusionModel
from sim.network.files import NetworkFileError, load_network
from sim.params import ParameterError

EDGES = "source,target\na,b\nb,c\nc,d\nd,s\n"
HEAD = "id,school,department,role"


def _files(tmp_path: Path, extra_header: str, rows: list[str]) -> tuple[Path, Path]:
    nodes = tmp_path / "nodes.csv"
    body = [f"a,N,m,teacher{rows[0]}", f"b,N,m,teacher{rows[1]}", f"c,N,x,teacher{rows[2]}",
            f"d,N,x,teacher{rows[3]}", f"s,N,,specialist{rows[4]}"]
    nodes.write_text("\n".join([HEAD + extra_header, *body]) + "\n")
    edges = tmp_path / "edges.csv"
    edges.write_text(EDGES)
    return edges, nodes


def test_adopted_days_and_initial_users_are_read(tmp_path):
    edges, nodes = _files(tmp_path, ",adopted_day,initial_user",
                          [",0,true", ",45,", ",,no", ",-3,", ",7,yes"])
    net = load_network(edges, nodes)
    days = net.adopted_day[:, 0]
    assert days[:4].tolist()[:2] == [0.0, 45.0] and np.isnan(days[2]) and days[3] == -3
    assert np.isnan(days[4])  # the specialist's value is ignored
    assert net.school_labels == ("N",)


def test_several_innovations(tmp_path):
    edges, nodes = _files(tmp_path, ",adopted_day_2,adopted_day_1",
                          [",,1", ",3,", ",,", ",0,0", ",,"])
    net = load_network(edges, nodes)
    assert net.adopted_day.shape == (5, 2)
    assert net.adopted_day[0, 0] == 1.0 and np.isnan(net.adopted_day[0, 1])  # column order
    assert net.adopted_day[1, 1] == 3.0 and net.adopted_day[3].tolist() == [0.0, 0.0]


def test_observed_users_start_as_users(tmp_path):
    edges, nodes = _files(tmp_path, ",adopted_day", [",0", ",45", ",", ",-3", ","])
    model = DiffusionModel(seed=1, network_file=str(edges), nodes_file=str(nodes),
                           n_external_at_start=1)
    first = model.staff.stage[: model.n_teachers, 0]
    assert first.tolist() == [Stage.TRIAL, Stage.UNAWARE, Stage.UNAWARE, Stage.TRIAL]


def test_observed_innovations_must_exist_at_start(tmp_path):
    edges, nodes = _files(tmp_path, ",adopted_day", [",0", ",", ",", ",", ","])
    with pytest.raises(ParameterError, match="n_external_at_start >= 1") as info:
        DiffusionModel(seed=1, network_file=str(edges), nodes_file=str(nodes))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("header, rows, words", [
    (",adopted_day", [",x", ",", ",", ",", ","], "line 2: column adopted_day: 'x'"),
    (",adopted_day", [",1.5", ",", ",", ",", ","], "expected a whole school day"),
    (",initial_user", [",maybe", ",", ",", ",", ","], "line 2: column initial_user"),
    (",adopted_day,initial_user", [",30,true", ",", ",", ",", ","], "contradicts adopted day"),
    (",adopted_day,initial_user", [",0,false", ",", ",", ",", ","], "contradicts adopted day"),
    (",adopted_day_1,adopted_day_3", [",,", ",,", ",,", ",,", ",,"], "without gaps"),
    (",adopted_day,adopted_day_1", [",,", ",,", ",,", ",,", ",,"], "repeats innovation 1"),
])
def test_bad_first_use_columns_are_one_line_errors(tmp_path, header, rows, words):
    edges, nodes = _files(tmp_path, header, rows)
    with pytest.raises(NetworkFileError, match=words) as info:
        load_network(edges, nodes)
    assert "nodes.csv" in str(info.value) and "\n" not in str(info.value)
