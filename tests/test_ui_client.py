"""The web UI: the /ask API through gradio_client on a real index, launch safety, chat events."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import ui
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.feedback import FeedbackStore
from assistant.types import Answer, Citation, Passage
from index.filters import FilterError

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
SEED = "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?"
SEED_SOURCE = "000_437c9dafada3569e.txt"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_sample(data_dir: Path) -> tuple[str, Any, Any]:
    """(url, assistant, demo): data/sample indexed into ``data_dir`` and the app served on loopback."""
    from assistant.service import Assistant

    settings = Settings.from_env(data_dir=data_dir, host="127.0.0.1", port=free_port(), backend="extractive")
    assistant = Assistant(settings)
    report = assistant.ingest([SAMPLE])
    assert not report.by_status("failed"), report.summary_lines()
    demo = ui.launch(assistant, prevent_thread_lock=True, quiet=True)
    return f"http://127.0.0.1:{settings.port}/", assistant, demo


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    url, assistant, demo = serve_sample(tmp_path_factory.mktemp("ui-data"))
    yield url, assistant
    demo.close()


@pytest.mark.slow
def test_recommendations_tab_filters_and_exports_csv(app: tuple[str, Any]) -> None:
    from gradio_client import Client

    client = Client(app[0], verbose=False)
    summary, table, download = client.predict("Vietnam", "Germany", "", "", "", "death penalty", "wg_report",
                                              api_name="/recs")  # fmt: skip
    rows = table["data"]
    expected = app[1].records.query(sur="Viet Nam", from_state="Germany", text="death penalty", kind="wg_report")
    assert len(rows) == len(expected) > 0 and f"**{len(expected)} khuyến nghị**" in summary
    assert {r[0] for r in rows} == {r["citation"] for r in expected}  # e.g. "A/HRC/26/6, para. 143.93 (p. 19)"
    assert Path(download["value"] if isinstance(download, dict) else download).read_text(encoding="utf-8-sig").count(
        "Germany") >= len(expected)  # fmt: skip
    with pytest.raises(Exception, match="không phải là số"):
        client.predict("Viet Nam", "", "", "", "mười tám", "", "", api_name="/recs")


@pytest.mark.slow
def test_ask_api_answers_with_a_citation(app: tuple[str, Any]) -> None:
    from gradio_client import Client

    client = Client(app[0], verbose=False)
    result = client.predict(SEED, "extractive", api_name="/ask")
    assert not result["refused"], result["notes"]
    assert "241" in result["answer"]
    assert any(c["source"] == SEED_SOURCE for c in result["citations"])


@pytest.mark.slow
def test_ask_api_rejects_an_unusable_backend(app: tuple[str, Any]) -> None:
    from gradio_client import Client

    with pytest.raises(Exception, match="not available"):
        Client(app[0], verbose=False).predict(SEED, "no-such-backend", api_name="/ask")


# --- launch safety ---------------------------------------------------------------------------------
class NoAssistant:
    """Enough of an assistant for ``launch`` to check its settings (and fail before serving)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def test_non_loopback_host_without_users_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPR_AUTH", raising=False)
    with pytest.raises(ConfigError, match="without users"):
        ui.launch(NoAssistant(Settings(data_dir=tmp_path, host="0.0.0.0")))  # type: ignore[arg-type]


def test_users_from_auth_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    auth = tmp_path / "users.txt"
    auth.write_text("# staff\nan:mật-khẩu:có-hai-chấm\n\nbinh:pw2\n", encoding="utf-8")
    monkeypatch.setenv("UPR_AUTH", "chi:pw3")
    options = ui.launch_options(Settings(data_dir=tmp_path, host="0.0.0.0", auth_file=str(auth), max_upload_mb=7))
    assert options["auth"] == [("an", "mật-khẩu:có-hai-chấm"), ("binh", "pw2"), ("chi", "pw3")]
    assert options["server_name"] == "0.0.0.0"
    assert options["allowed_paths"] == [str(tmp_path / "exports")]
    assert options["max_file_size"] == "7mb"


def test_bad_auth_line_names_the_line_not_the_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPR_AUTH", raising=False)
    auth = tmp_path / "users.txt"
    auth.write_text("an:ok\nsecretwithoutcolon\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2") as err:
        ui.launch_options(Settings(data_dir=tmp_path, host="0.0.0.0", auth_file=str(auth)))
    assert "secretwithoutcolon" not in str(err.value)


def test_loopback_needs_no_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPR_AUTH", raising=False)
    assert ui.launch_options(Settings(data_dir=tmp_path))["auth"] is None


# --- chat events with a fake assistant -----------------------------------------------------------
class FakeAssistant:
    def __init__(self, settings: Settings, fail: Exception | None = None) -> None:
        self.settings = settings
        self.fail = fail
        self.calls: list[tuple[str, Any, Any]] = []

    def stream(self, question: str, options: Any = None, history: Any = None) -> Iterator[str | Answer]:
        self.calls.append((question, options, history))
        if self.fail:
            raise self.fail
        yield "Việt Nam <b>"
        passage = Passage("a:0", "Mở đầu. Việt Nam đã chấp thuận 241 khuyến nghị. Kết thúc.", 1.0,
                          {"file_name": SEED_SOURCE, "title": "Hội thảo", "date": "2021-04-07", "doc_type": "news"})
        citation = Citation(1, "a:0", SEED_SOURCE, "Hội thảo", None, "Việt Nam đã chấp thuận 241 khuyến nghị.")
        yield Answer(question, "Việt Nam đã chấp thuận 241 khuyến nghị. [1]", False, [citation], [passage],
                     backend="extractive", notes=["[2] removed: there is no source 2"])

    def fingerprint(self) -> dict[str, Any]:
        return {"documents": 1}


def run_chat(assistant: FakeAssistant, question: str, answers: list[Any] | None = None) -> list[tuple[Any, ...]]:
    handlers = ui.Handlers(assistant, FeedbackStore(assistant.settings.data_dir / "f.sqlite"))  # type: ignore[arg-type]
    return list(handlers.respond(question, [], answers or [], "extractive", "news", "3", "", "2020", ""))


def test_chat_shows_status_then_linked_answer_and_sources(tmp_path: Path) -> None:
    fake = FakeAssistant(Settings(data_dir=tmp_path))
    updates = run_chat(fake, SEED)
    assert "Đang tìm nguồn" in updates[0][1][-1]["content"]
    assert "Việt Nam &lt;b&gt;" in updates[1][1][-1]["content"]  # streamed text is escaped
    _, messages, answers, sources = updates[-1]
    assert messages[-1]["content"].count("href='#src-0-1'") == 1
    assert isinstance(answers[0], Answer)
    assert "id='src-0-1' open" in sources and "<mark>Việt Nam đã chấp thuận 241 khuyến nghị.</mark>" in sources
    assert "there is no source 2" in sources
    assert fake.calls[0][1].filters == {"type": "news", "cycle": "3", "from": "2020"}


def test_follow_up_gets_the_conversation_as_history(tmp_path: Path) -> None:
    fake = FakeAssistant(Settings(data_dir=tmp_path))
    answers = run_chat(fake, SEED)[-1][2]
    run_chat(fake, "Còn chu kỳ II?", answers)
    assert fake.calls[1][2] == [(SEED, "Việt Nam đã chấp thuận 241 khuyến nghị. [1]")]


@pytest.mark.filterwarnings("ignore:.*:UserWarning")  # gr.Warning outside a request warns instead of toasting
def test_errors_are_shown_as_messages_not_tracebacks(tmp_path: Path) -> None:
    expected = run_chat(FakeAssistant(Settings(data_dir=tmp_path), FilterError("date 'x' is not YYYY")), SEED)
    assert "date &#x27;x&#x27; is not YYYY" in expected[-1][1][-1]["content"]
    unexpected = run_chat(FakeAssistant(Settings(data_dir=tmp_path), KeyError("internal")), SEED)
    content = unexpected[-1][1][-1]["content"]
    assert "lỗi không mong muốn" in content and "KeyError" not in content and "Traceback" not in content


def test_uploads_are_checked_and_copied(tmp_path: Path) -> None:
    from assistant import ui_render

    good, bad, big = tmp_path / "tin.txt", tmp_path / "virus.exe", tmp_path / "lon.pdf"
    good.write_text("Việt Nam", encoding="utf-8")
    bad.write_bytes(b"MZ")
    big.write_bytes(b"0" * (2 * 1024 * 1024))
    accepted, rejected = ui_render.check_uploads([str(good), str(bad), str(big)], ui_render.UPLOAD_TYPES, 1)
    assert accepted == [good]
    assert [r.split(":")[0] for r in rejected] == ["virus.exe", "lon.pdf"]
    [copy] = ui_render.copy_uploads(accepted, tmp_path / "data" / "uploads")
    assert copy == tmp_path / "data" / "uploads" / "tin.txt" and copy.read_text(encoding="utf-8") == "Việt Nam"


def test_a_quoted_answer_is_set_apart_from_the_models_own() -> None:
    from assistant.ui_render import answer_html

    cite = Citation(n=1, chunk_id="d:0", source="a.txt", title="Tin", page=None, quote="Việt Nam chấp thuận 241.")
    own = Answer(question=SEED, answer="Việt Nam chấp thuận 241 [1].", refused=False, citations=[cite])
    quoted = Answer(question=SEED, answer="Trích nguyên văn:\nViệt Nam chấp thuận 241 [1].", refused=False,
                    citations=[cite], quoted=True)  # fmt: skip
    assert "upr-quoted" not in answer_html(own, 0)
    html = answer_html(quoted, 0)
    assert "class='upr-answer upr-quoted'" in html and "href='#src-0-1'" in html
