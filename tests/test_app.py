"""app.py: its options, credentials kept off the command line, and the login in front of the page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from app import AUTH_VARIABLE, exposure_warning, read_credentials
from embeddings.encoder import Encoder
from qa.answer import Answerer
from tests.conftest import ROOT, SECOND_ARTICLE, ask_api, free_port, quiet_build, running_app


def test_help_lists_the_options():
    result = subprocess.run([sys.executable, "app.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for option in ("--articles", "--index", "--host", "--port", "--auth-file", "127.0.0.1", "7860"):
        assert option in result.stdout


def test_credentials_come_from_a_file_or_the_environment(tmp_path: Path):
    auth_file = tmp_path / "auth"
    auth_file.write_text("editor:s3cret pass\n")
    assert read_credentials(auth_file, {}) == ("editor", "s3cret pass")
    assert read_credentials(None, {AUTH_VARIABLE: "ann:pw"}) == ("ann", "pw")
    assert read_credentials(None, {}) is None
    with pytest.raises(ValueError, match="must hold user:password"):
        read_credentials(None, {AUTH_VARIABLE: "no-colon"})
    with pytest.raises(ValueError, match="cannot read the auth file"):
        read_credentials(tmp_path / "missing", {})


def test_listening_beyond_this_machine_without_a_login_warns():
    assert exposure_warning("127.0.0.1", None) is None
    assert exposure_warning("0.0.0.0", ("a", "b")) is None
    warning = exposure_warning("0.0.0.0", None)
    assert warning.startswith("warning: serving on 0.0.0.0 without a login") and AUTH_VARIABLE in warning


@pytest.mark.slow
def test_a_login_protects_the_page_and_the_api(answerer: Answerer):
    from gradio_client import Client

    from webui.server import serve

    server = serve(answerer, port=free_port(), auth=("editor", "s3cret"), block=False)
    url = server.url
    try:
        with pytest.raises(HTTPError) as refused:
            urlopen(url.rstrip("/") + "/gradio_api/info", timeout=10)
        assert refused.value.code == 401
        with pytest.raises(Exception):  # noqa: B017 - the client refuses in more than one way
            Client(url, verbose=False).predict("Where did Xi and Putin meet?", 2, api_name="/ask")
        reply = Client(url, auth=("editor", "s3cret"), verbose=False).predict(
            "Where did Xi and Putin meet?", 2, api_name="/ask"
        )
        assert reply["passages"][0]["paragraph"] == 1
    finally:
        server.close()


@pytest.mark.slow
def test_the_app_on_an_index_alone_answers_that_index_s_own_articles(tmp_path: Path, encoder: Encoder):
    """Started with --index only, from the project folder whose default is seeds/, it keeps the news."""
    news = tmp_path / "news"
    news.mkdir()
    (news / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    quiet_build(news, tmp_path / "news-index", encoder)
    with running_app("--index", str(tmp_path / "news-index")) as url:
        reply = ask_api(url, "How many cable strands were replaced?")
    assert reply["found"] and reply["passages"][0]["article"] == "bridge.txt"
    assert "140" in reply["answer"]


def test_a_missing_reader_calibration_stops_the_app_with_one_line_naming_it(
    tmp_path: Path, encoder: Encoder, monkeypatch, capsys
):
    import app
    import qa.reader

    news = tmp_path / "news"
    news.mkdir()
    (news / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    quiet_build(news, tmp_path / "index", encoder)
    monkeypatch.setattr(qa.reader, "CALIBRATION_FILE", "no-such-calibration.json")
    assert app.main(["--index", str(tmp_path / "index")]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()[-1:]
    assert line.startswith("error: ") and "no-such-calibration.json: the reader's calibration is missing" in line
    assert line.endswith("fit it with `python benchmarks/tune_reader.py --write`")
