"""Everything the web UI needs that is not gradio: HTML of answers and sources, request
options, upload checks, login and bind-address checks.

Kept apart from ``assistant.ui`` (the only gradio module) so it is plain and testable.
Every piece of document or model text is escaped before it is put into HTML.
"""

from __future__ import annotations

import html
import ipaddress
import os
import queue
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.config import QueryOptions, Settings
from assistant.errors import ConfigError
from assistant.types import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")
QUOTE_CONTEXT = 350  # characters of passage shown on each side of the cited sentence

EXAMPLES = [
    "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?",
    "Which States recommended Viet Nam to ratify the Convention against Torture?",
    "UPR chu ky IV bat dau khi nao?",
]
UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".csv")
BACKEND_LABELS = {"local": "Mô hình cục bộ (chậm, viết lại câu)", "openai": "Máy chủ mô hình (OpenAI-compatible)",
                  "extractive": "Trích nguyên câu từ nguồn (nhanh)"}
CYCLES = [("Tất cả", ""), ("Chu kỳ I (2008–2011)", "1"), ("Chu kỳ II (2012–2016)", "2"),
          ("Chu kỳ III (2017–2022)", "3"), ("Chu kỳ IV (2022–2027)", "4")]
ALL = [("Tất cả", "")]
DOC_TYPES = {
    "wg_report": "Báo cáo Nhóm công tác UPR", "decision": "Quyết định", "national_report": "Báo cáo quốc gia",
    "plan": "Kế hoạch", "news": "Tin tức", "recommendations": "Khuyến nghị (UPR Info)", "other": "Khác",
}
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

CSS = """
.upr-answer a.cite { text-decoration: none; font-weight: 600; padding: 0 1px; color: var(--color-accent); }
.upr-refusal { border-left: 4px solid #c2410c; background: #fff7ed; color: #7c2d12; padding: 8px 12px;
  border-radius: 6px; white-space: pre-line; }
.upr-status { color: #6b7280; font-style: italic; }
.upr-answer.upr-quoted { border-left: 4px solid #2563eb; background: #eff6ff; padding: 8px 12px; border-radius: 6px;
  white-space: pre-line; }
.upr-error { border-left: 4px solid #b91c1c; background: #fef2f2; color: #7f1d1d; padding: 8px 12px;
  border-radius: 6px; }
#upr-sources { max-height: 640px; overflow-y: auto; }
#upr-sources details.src { border: 1px solid #d1d5db; border-radius: 8px; padding: 6px 10px; margin: 6px 0;
  background: var(--background-fill-primary); scroll-margin-top: 12px; }
#upr-sources details.src.flash { outline: 3px solid #f59e0b; }
#upr-sources summary { cursor: pointer; font-weight: 600; }
#upr-sources .meta { color: #6b7280; font-size: 0.9em; margin: 2px 0 6px; }
#upr-sources blockquote { margin: 4px 0; padding-left: 10px; border-left: 3px solid #9ca3af; font-size: 0.92em; }
#upr-sources mark { background: #fde68a; color: inherit; padding: 0 2px; }
#upr-sources .turn-q { font-weight: 600; margin-top: 10px; }
#upr-sources .notes { color: #9ca3af; font-size: 0.8em; }
"""

# Clicking a marker opens and scrolls to its source, wherever the chat renderer put the link.
HEAD_JS = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite, a[href^='#src-']");
  if (!link) return;
  const id = (link.getAttribute("href") || "").replace(/^#/, "");
  const target = document.getElementById(id);
  if (!target) return;
  event.preventDefault();
  event.stopPropagation();
  for (let el = target; el; el = el.parentElement) { if (el.tagName === "DETAILS") el.open = true; }
  target.scrollIntoView({behavior: "smooth", block: "center"});
  target.classList.add("flash");
  setTimeout(() => target.classList.remove("flash"), 1600);
}, true);
</script>
"""

EMPTY_SOURCES = "<div id='upr-sources-empty' class='upr-status'>Nguồn trích dẫn sẽ hiện ở đây.</div>"


def source_id(turn: int, n: int) -> str:
    """The element id of source ``n`` of answer ``turn`` (markers link to it)."""
    return f"src-{turn}-{n}"


def status_html(text: str) -> str:
    return f"<span class='upr-status'>{html.escape(text)}</span>"


def error_html(text: str) -> str:
    return f"<div class='upr-error'>⚠️ {html.escape(text)}</div>"


def streaming_html(status: str, text: str) -> str:
    """What the chat shows while the backend writes: the status line, then the text so far."""
    return status_html(status) + ("<br>" + html.escape(text) if text else "")


def answer_html(answer: Answer, turn: int) -> str:
    """The final answer: markers become links to the Sources panel; refusals are set apart."""
    if answer.refused:
        return f"<div class='upr-refusal'>{html.escape(answer.answer)}</div>"
    valid = {c.n for c in answer.citations if c.valid}

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in valid:
            return match.group(0)
        return f"<a class='cite' href='#{source_id(turn, n)}' title='Xem nguồn {n}'>[{n}]</a>"

    kind = "upr-answer upr-quoted" if answer.quoted else "upr-answer"  # the sources' own sentences, said so
    return f"<div class='{kind}'>{_MARKER.sub(link, html.escape(answer.answer))}</div>"


def highlight(passage: str, quote: str, context: int = QUOTE_CONTEXT) -> str:
    """Escaped passage text around ``quote``, with the quote in ``<mark>``."""
    text, q = " ".join(passage.split()), " ".join(quote.split())
    start = text.find(q) if q else -1
    if start < 0:
        return html.escape(text[: 2 * context]) + ("…" if len(text) > 2 * context else "")
    lo, hi = max(0, start - context), min(len(text), start + len(q) + context)
    return ("…" if lo else "") + html.escape(text[lo:start]) + f"<mark>{html.escape(q)}</mark>" + \
        html.escape(text[start + len(q):hi]) + ("…" if hi < len(text) else "")


def citation_html(citation: Citation, answer: Answer, turn: int, open_: bool) -> str:
    """One source as ``<details id="src-turn-n">``: title, date, type, locator and the quote in context."""
    passage = next((p for p in answer.passages if p.chunk_id == citation.chunk_id), None)
    meta: dict[str, Any] = passage.metadata if passage else {}
    doc_type = DOC_TYPES.get(str(meta.get("doc_type")), str(meta.get("doc_type") or ""))
    date = str(meta.get("date") or "")
    locator = "" if citation.locator == date else citation.locator  # text documents are located by date
    facts = [x for x in (date, doc_type, locator, citation.source) if x]
    body = highlight(passage.text, citation.quote) if passage else f"<mark>{html.escape(citation.quote)}</mark>"
    return (f"<details class='src' id='{source_id(turn, citation.n)}'{' open' if open_ else ''}>"
            f"<summary>[{citation.n}] {html.escape(citation.title or citation.source)}</summary>"
            f"<div class='meta'>{html.escape(' · '.join(facts))}</div>"
            f"<blockquote>{body}</blockquote></details>")


def notes_html(answer: Answer) -> str:
    if not answer.notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in answer.notes)
    return f"<details class='notes'><summary>Ghi chú kỹ thuật ({len(answer.notes)})</summary><ul>{items}</ul></details>"


def sources_html(answers: list[Answer | None]) -> str:
    """The Sources panel: newest answer first with its sources open, earlier answers folded."""
    blocks: list[str] = []
    for turn in range(len(answers) - 1, -1, -1):
        answer = answers[turn]
        if answer is None:
            continue
        latest = not blocks
        if answer.refused:
            cites = "<div class='upr-status'>Không có nguồn nào được trích dẫn.</div>"
        else:
            cites = "".join(citation_html(c, answer, turn, latest) for c in answer.citations if c.valid)
        inner = cites + notes_html(answer)
        question = html.escape(answer.question)
        if latest:
            blocks.append(f"<div class='turn' id='turn-{turn}'><div class='turn-q'>{question}</div>{inner}</div>")
        else:
            blocks.append(f"<details class='turn' id='turn-{turn}'><summary>{question}</summary>{inner}</details>")
    if not blocks:
        return EMPTY_SOURCES
    return "<div id='upr-sources'>" + "".join(blocks) + "</div>"


def document_rows(documents: list[dict[str, Any]]) -> list[list[Any]]:
    """Rows of the Documents table."""
    return [[d.get("file_name"), d.get("title") or "", DOC_TYPES.get(str(d.get("doc_type")), d.get("doc_type") or ""),
             d.get("date") or "", d.get("language") or "", d.get("cycle") or "", d.get("chunks") or 0]
            for d in documents]


DOCUMENT_HEADERS = ["Tệp", "Tiêu đề", "Loại", "Ngày", "Ngôn ngữ", "Chu kỳ", "Đoạn"]


# --- requests ------------------------------------------------------------------------------------
def answer_options(backend: str, doc_type: str, cycle: str, language: str, date_from: str,
                   date_to: str) -> QueryOptions:
    """The per-request options of one chat question (empty filter fields are ignored)."""
    pairs = {"type": doc_type, "cycle": cycle, "language": language, "from": date_from, "to": date_to}
    filters = {k: str(v).strip() for k, v in pairs.items() if v is not None and str(v).strip()}
    return QueryOptions(filters=filters, backend=backend or None)


def with_ticks(events: Iterator[Any], tick_s: float = 1.5) -> Iterator[Any]:
    """The items of ``events`` produced in a worker thread, and ``None`` after each ``tick_s`` of silence.

    Retrieval and prompt reading give no events for seconds; the ticks let the page move its
    status line on ("searching" → "reading") instead of looking frozen.
    """
    box: queue.Queue[Any] = queue.Queue()
    done = object()

    def work() -> None:
        try:
            for event in events:
                box.put(event)
            box.put(done)
        except Exception as exc:  # handed to the caller's thread, which words it
            box.put(exc)

    threading.Thread(target=work, name="upr-answer", daemon=True).start()
    while True:
        try:
            item = box.get(timeout=tick_s)
        except queue.Empty:
            yield None
            continue
        if item is done:
            return
        if isinstance(item, Exception):
            raise item
        yield item


def check_uploads(paths: list[str], allowed: tuple[str, ...], max_mb: int) -> tuple[list[Path], list[str]]:
    """(files fit to index, one message per rejected file)."""
    accepted, rejected = [], []
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() not in allowed:
            rejected.append(f"{path.name}: định dạng không được hỗ trợ (chỉ nhận {', '.join(allowed)})")
        elif path.stat().st_size > max_mb * 1024 * 1024:
            rejected.append(f"{path.name}: lớn hơn {max_mb} MB")
        else:
            accepted.append(path)
    return accepted, rejected


def copy_uploads(paths: list[Path], folder: Path) -> list[Path]:
    """Copy uploaded temp files into the uploads folder under their own base names."""
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(p, folder / Path(p.name).name)) for p in paths]


# --- server configuration ------------------------------------------------------------------------
def usable_backends(settings: Settings) -> list[str]:
    """Backends this server can really answer with; ``extractive`` needs nothing and always works."""
    usable = []
    if settings.llm_model_path.exists():
        usable.append("local")
    if settings.openai_base_url and (settings.openai_model != Settings().openai_model
                                     or os.environ.get("UPR_OPENAI_BASE_URL")):
        usable.append("openai")
    return usable + ["extractive"]


def read_users(settings: Settings, environ: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Users from ``settings.auth_file`` (``user:password`` lines) and ``UPR_AUTH`` (``u:p,u2:p2``)."""
    env = os.environ if environ is None else environ
    entries: list[tuple[str, str]] = []
    if settings.auth_file:
        path = Path(settings.auth_file).expanduser()
        if not path.is_file():
            raise ConfigError(f"auth file {path} does not exist; create it with one user:password per line")
        lines = path.read_text(encoding="utf-8").splitlines()
        entries += [(f"{path} line {i}", line.strip()) for i, line in enumerate(lines, 1)]
    entries += [(f"UPR_AUTH item {i}", item.strip()) for i, item in enumerate(env.get("UPR_AUTH", "").split(","), 1)]
    users = []
    for where, entry in entries:
        if not entry or entry.startswith("#"):
            continue
        user, sep, password = entry.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError(f"{where}: expected user:password")  # never echo the secret itself
        users.append((user.strip(), password))
    return users


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_users(settings: Settings) -> list[tuple[str, str]]:
    """The configured users; an error if the server would be reachable from the network without any."""
    users = read_users(settings)
    if not is_loopback(settings.host) and not users:
        raise ConfigError(f"refusing to serve on {settings.host} without users: pass --auth-file (lines "
                          "user:password) or set UPR_AUTH=user:password, or keep the default host 127.0.0.1")
    return users
