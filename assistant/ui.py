"""The Gradio web UI for staff: cited chat, filters, press-briefing drafts, feedback, documents.

The only module that imports gradio. Expected failures (``AssistantError``) are shown as
readable warnings; anything else is logged and shown as a short generic message, never a
traceback. ``launch`` refuses to listen beyond loopback unless users are configured.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import ui_render as render
from assistant.briefing import draft_briefing, to_docx
from assistant.config import QueryOptions, Settings
from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore, open_store
from assistant.service import Assistant
from assistant.types import Answer
from assistant.ui_records import records_tab
from ingest.metadata import detect_language

log = logging.getLogger(__name__)

SEARCHING, READING, WRITING = "Đang tìm nguồn…", "Đang đọc nguồn…", "Đang viết câu trả lời…"
UNEXPECTED = "Đã xảy ra lỗi không mong muốn; chi tiết đã được ghi vào nhật ký máy chủ. Vui lòng thử lại."


def message_for(exc: BaseException) -> str:
    """What the page says about a failure: the text of expected errors, a generic line otherwise."""
    if isinstance(exc, AssistantError):
        return str(exc)
    log.error("unexpected error in the UI", exc_info=exc)
    return UNEXPECTED


class Handlers:
    """The event callbacks, bound to one assistant and one feedback store."""

    def __init__(self, assistant: Assistant, feedback: FeedbackStore) -> None:
        self.assistant = assistant
        self.feedback = feedback
        self.settings = assistant.settings
        self.backends = render.usable_backends(self.settings)

    def respond(self, question: str, messages: list[Any], answers: list[Answer | None], backend: str,
                *filters: str) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat; the Sources panel fills in when it is final."""
        question = (question or "").strip()
        if not question:
            gr.Warning("Hãy nhập câu hỏi.")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        history = [(a.question, a.answer) for a in answers if a is not None]
        turn = len(answers)
        messages = [*messages, {"role": "user", "content": question},
                    {"role": "assistant", "content": render.status_html(SEARCHING)}]
        answers = [*answers, None]
        yield "", messages, answers, gr.skip()
        text, status = "", SEARCHING
        try:
            options = render.answer_options(backend, *filters)
            for event in render.with_ticks(self.assistant.stream(question, options, history)):
                if isinstance(event, Answer):
                    answers = [*answers[:-1], event]
                    messages = [*messages[:-1], {"role": "assistant", "content": render.answer_html(event, turn)}]
                    yield gr.skip(), messages, answers, render.sources_html(answers)
                    return
                if event is None:
                    status = READING if not text else status
                else:
                    text, status = text + event, WRITING
                messages = [*messages[:-1], {"role": "assistant", "content": render.streaming_html(status, text)}]
                yield gr.skip(), messages, gr.skip(), gr.skip()
        except Exception as exc:
            message = message_for(exc)
            gr.Warning(message)
            messages = [*messages[:-1], {"role": "assistant", "content": render.error_html(message)}]
            yield gr.skip(), messages, answers, gr.skip()

    def briefing(self, answers: list[Answer | None], enabled: bool) -> tuple[Any, ...]:
        """Draft the press briefing of the latest answer, as Markdown and .docx files to download."""
        hidden = gr.update(visible=False)
        if not enabled:
            return hidden, "", hidden, hidden
        latest = next((a for a in reversed(answers) if a is not None), None)
        if latest is None:
            return gr.update(visible=True), "*Hãy đặt câu hỏi: bản nháp sẽ được soạn từ câu trả lời.*", hidden, hidden
        try:
            text = draft_briefing(latest, detect_language(latest.question))
            name = f"briefing-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
            stem = self.settings.data_dir / "exports" / name
            stem.parent.mkdir(parents=True, exist_ok=True)
            md_path = stem.with_suffix(".md")
            md_path.write_text(text, encoding="utf-8")
            docx_path = to_docx(text, stem.with_suffix(".docx"))
        except Exception as exc:
            gr.Warning(message_for(exc))
            return gr.update(visible=True), "", hidden, hidden
        return (gr.update(visible=True), text, gr.update(value=str(md_path), visible=True),
                gr.update(value=str(docx_path), visible=True))

    def like(self, answers: list[Answer | None], comment: str, data: gr.LikeData) -> tuple[Any, Any]:
        """Store a like/dislike (with the comment typed so far) for the answer that was rated."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = int(index) // 2  # every question adds exactly two messages: the user's and the answer
        answer = answers[turn] if 0 <= turn < len(answers) else None
        rating = {True: 1, "Like": 1, False: -1, "Dislike": -1}.get(data.liked, 0)  # type: ignore[call-overload]
        if answer is None or rating == 0:
            return gr.skip(), gr.skip()
        try:
            row = self.feedback.add(answer, rating, comment or "", self.assistant.fingerprint(), answer.backend)
        except Exception as exc:
            gr.Warning(message_for(exc))
            return gr.skip(), gr.skip()
        gr.Info("Cảm ơn! Đánh giá đã được ghi nhận.")
        return row, ""

    def save_comment(self, row: int | None, comment: str) -> Any:
        """Attach a comment to the rating just given."""
        if not (comment or "").strip():
            gr.Warning("Hãy nhập góp ý trước khi lưu.")
            return gr.skip()
        if row is None or not self.feedback.set_comment(row, comment):
            gr.Warning("Hãy bấm Thích hoặc Không thích dưới câu trả lời trước; góp ý sẽ được gửi kèm.")
            return gr.skip()
        gr.Info("Đã lưu góp ý.")
        return ""

    def documents(self) -> tuple[Any, Any]:
        """The Documents table and the choices of the remove dropdown."""
        docs = self.assistant.documents()
        choices = [(d["file_name"], d["source"]) for d in docs]
        return render.document_rows(docs), gr.update(choices=choices, value=None)

    def ingest(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        """Copy accepted uploads into data_dir/uploads and index them; report per file."""
        if not files:
            gr.Warning("Chưa chọn tệp nào.")
            return (gr.skip(),) * 4
        accepted, rejected = render.check_uploads(files, render.UPLOAD_TYPES, self.settings.max_upload_mb)
        lines = [f"TỪ CHỐI {line}" for line in rejected]
        try:
            if accepted:
                copies = render.copy_uploads(accepted, self.settings.data_dir / "uploads")
                report = self.assistant.ingest(
                    copies, progress=lambda name, done, total: progress((done, total), desc=f"Đang xử lý {name}"))
                lines = report.summary_lines() + lines
        except Exception as exc:
            message = message_for(exc)
            gr.Warning(message)
            lines.append(message)
        return ("\n".join(lines), *self.documents(), None)

    def remove(self, source: str | None) -> tuple[Any, ...]:
        """Remove one document from the index (its uploaded copy too)."""
        if not source:
            gr.Warning("Hãy chọn tài liệu cần xoá.")
            return (gr.skip(),) * 3
        try:
            result = self.assistant.remove(source)
        except Exception as exc:
            gr.Warning(message_for(exc))
            return (gr.skip(),) * 3
        uploads = (self.settings.data_dir / "uploads").resolve()
        if result.status == "removed" and uploads in Path(source).resolve().parents:
            Path(source).unlink(missing_ok=True)
        text = f"{result.status}: {result.path}" + (f" ({result.reason})" if result.reason else "")
        return (text, *self.documents())

    def ask_api(self, question: str, backend: str = "") -> dict[str, Any]:
        """API ``/ask``: the answer as JSON (``Answer.to_dict()``), for gradio_client and load tests."""
        if backend and backend not in self.backends:
            raise gr.Error(f"backend {backend!r} is not available here; use one of: {', '.join(self.backends)}")
        try:
            return self.assistant.ask(question, QueryOptions(backend=backend or None)).to_dict()
        except Exception as exc:
            raise gr.Error(message_for(exc)) from None


def build_app(assistant: Assistant) -> gr.Blocks:
    """All tabs and events, with a queue so users wait their turn instead of getting errors."""
    settings = assistant.settings
    h = Handlers(assistant, open_store(settings.data_dir))
    default_backend = settings.backend if settings.backend in h.backends else "extractive"
    with gr.Blocks(title="UPR Assistant", fill_width=True) as demo:
        gr.Markdown("## UPR Assistant\nHỏi đáp về Cơ chế Kiểm điểm định kỳ phổ quát (UPR) của Liên Hợp Quốc; "
                    "mỗi câu trả lời kèm nguồn trích dẫn. Bấm vào [n] để xem đoạn nguồn.")
        with gr.Tab("Hỏi đáp"):
            answers, feedback_row = gr.State([]), gr.State(None)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Hội thoại", height=520, elem_id="upr-chat",
                                         placeholder="Đặt câu hỏi về UPR bằng tiếng Việt hoặc tiếng Anh.")
                    with gr.Row():
                        question = gr.Textbox(show_label=False, scale=5, elem_id="upr-question", max_lines=4,
                                              placeholder="Ví dụ: Việt Nam chấp thuận bao nhiêu khuyến nghị?")
                        send = gr.Button("Hỏi", variant="primary", scale=1, min_width=80, elem_id="upr-send")
                    gr.Examples([[q] for q in render.EXAMPLES], inputs=[question], label="Câu hỏi mẫu")
                    with gr.Row():
                        comment = gr.Textbox(label="Góp ý (tuỳ chọn; gửi kèm khi bấm Thích / Không thích)",
                                             scale=4, elem_id="upr-comment")
                        save_comment = gr.Button("Lưu góp ý", scale=1, min_width=80)
                        new_chat = gr.Button("Hội thoại mới", scale=1, min_width=80)
                with gr.Column(scale=2, min_width=320):
                    gr.Markdown("### Nguồn trích dẫn")
                    sources = gr.HTML(render.EMPTY_SOURCES, elem_id="upr-sources-panel")
            with gr.Accordion("Bộ lọc và cách trả lời", open=False):
                with gr.Row():
                    doc_type = gr.Dropdown(render.ALL + [(v, k) for k, v in render.DOC_TYPES.items()], value="",
                                           label="Loại tài liệu")
                    cycle = gr.Dropdown(render.CYCLES, value="", label="Chu kỳ UPR")
                    language = gr.Dropdown(render.ALL + [(v, k) for k, v in render.LANGUAGES.items()], value="",
                                           label="Ngôn ngữ tài liệu")
                    date_from = gr.Textbox(label="Từ ngày (YYYY hoặc YYYY-MM-DD)")
                    date_to = gr.Textbox(label="Đến ngày (YYYY hoặc YYYY-MM-DD)")
                backend = gr.Dropdown([(render.BACKEND_LABELS[b], b) for b in h.backends], value=default_backend,
                                      label="Cách trả lời", visible=len(h.backends) > 1, elem_id="upr-backend")
            briefing_on = gr.Checkbox(label="Chế độ thông cáo báo chí: soạn bản nháp trang trọng (tải .md / .docx)")
            with gr.Group(visible=False) as briefing_box:
                briefing_md = gr.Markdown(elem_id="upr-briefing")
                with gr.Row():
                    md_file = gr.DownloadButton("Tải bản nháp .md", visible=False)
                    docx_file = gr.DownloadButton("Tải bản nháp .docx", visible=False)
        with gr.Tab("Khuyến nghị"):
            records_tab(assistant)
        with gr.Tab("Tài liệu"):
            docs = _documents_tab(settings)
        if assistant.is_empty():
            gr.Markdown("⚠️ Chỉ mục đang trống: hãy thêm tài liệu ở tab **Tài liệu**.")

        briefing_io = ([answers, briefing_on], [briefing_box, briefing_md, md_file, docx_file])
        gr.on([question.submit, send.click], h.respond,
              [question, chatbot, answers, backend, doc_type, cycle, language, date_from, date_to],
              [question, chatbot, answers, sources], concurrency_id="answer",
              concurrency_limit=settings.concurrency, show_progress="minimal").then(h.briefing, *briefing_io)
        briefing_on.change(h.briefing, *briefing_io)
        chatbot.like(h.like, [answers, comment], [feedback_row, comment])
        save_comment.click(h.save_comment, [feedback_row, comment], [comment])
        new_chat.click(lambda: ([], [], render.EMPTY_SOURCES, None), None, [chatbot, answers, sources, feedback_row])
        listing = [docs["table"], docs["remove"]]
        docs["ingest"].click(h.ingest, [docs["upload"]], [docs["report"], *listing, docs["upload"]],
                             concurrency_id="ingest", concurrency_limit=1)
        docs["remove_btn"].click(h.remove, [docs["remove"]], [docs["report"], *listing],
                                 concurrency_id="ingest", concurrency_limit=1)
        docs["refresh"].click(h.documents, None, listing)
        demo.load(h.documents, None, listing)
        gr.api(h.ask_api, api_name="ask", concurrency_id="answer", concurrency_limit=settings.concurrency)
    demo.queue(default_concurrency_limit=settings.concurrency, max_size=settings.queue_size)
    return demo


def _documents_tab(settings: Settings) -> dict[str, Any]:
    gr.Markdown(f"Nhận tệp {', '.join(render.UPLOAD_TYPES)}, tối đa {settings.max_upload_mb} MB mỗi tệp. "
                "Tệp đã có chỉ được lập chỉ mục lại khi nội dung thay đổi.")
    with gr.Row():
        upload = gr.File(label="Thêm tài liệu", file_count="multiple", file_types=list(render.UPLOAD_TYPES),
                         type="filepath", scale=3)
        with gr.Column(scale=2):
            ingest = gr.Button("Lập chỉ mục các tệp đã chọn", variant="primary")
            remove = gr.Dropdown([], label="Tài liệu cần xoá khỏi chỉ mục")
            remove_btn = gr.Button("Xoá tài liệu", variant="stop")
    report = gr.Textbox(label="Kết quả", lines=4, interactive=False)
    with gr.Row():
        gr.Markdown("### Tài liệu đã lập chỉ mục")
        refresh = gr.Button("Làm mới", size="sm", scale=0)
    table = gr.Dataframe(headers=render.DOCUMENT_HEADERS, interactive=False, wrap=True,
                         column_widths=["20%", "40%", "12%", "9%", "7%", "6%", "6%"])
    return {"upload": upload, "ingest": ingest, "remove": remove, "remove_btn": remove_btn, "report": report,
            "refresh": refresh, "table": table}


def launch_options(settings: Settings) -> dict[str, Any]:
    """Arguments of ``Blocks.launch``: safe bind address, auth, upload limit, only exports served."""
    users = render.checked_users(settings)
    exports = settings.data_dir / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    return {"server_name": settings.host, "server_port": settings.port, "auth": users or None,
            "auth_message": "UPR Assistant — đăng nhập" if users else None, "allowed_paths": [str(exports)],
            "max_file_size": f"{settings.max_upload_mb}mb", "show_error": False, "ssr_mode": False,
            "css": render.CSS, "head": render.HEAD_JS, "footer_links": ["api"]}


def launch(assistant: Assistant, **overrides: Any) -> gr.Blocks:
    """Check the configuration, build the app and serve it (blocks unless ``prevent_thread_lock``)."""
    options = launch_options(assistant.settings) | overrides
    demo = build_app(assistant)
    demo.launch(**options)
    return demo
