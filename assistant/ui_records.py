"""The "Khuyến nghị" (Recommendations) tab: the filters of `upr recs`, a table, CSV export."""

from __future__ import annotations

import time
from typing import Any

import gradio as gr

from assistant.service import Assistant
from index.records import RESPONSES, RecordFilter, to_csv

HEADERS = ["Trích dẫn", "Khuyến nghị", "Quốc gia khuyến nghị", "Trả lời", "Quốc gia được rà soát", "Phiên", "Chu kỳ"]
RESPONSE_LABELS = {"supported": "Chấp thuận", "noted": "Ghi nhận", "pending": "Chưa trả lời"}
MAX_ROWS = 500  # shown in the table; the CSV has them all


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise gr.Error(f"“{value}” không phải là số") from None


def search_records(
    assistant: Assistant, sur: str, from_state: str, response: str, cycle: Any, session: Any, text: str, kind: str
) -> tuple[str, list[list[Any]], Any]:
    """(summary line, table rows, CSV file for download)."""
    flt = RecordFilter(sur=sur.strip() or None, from_state=from_state.strip() or None, response=response or None,
                       cycle=_int(cycle), session=_int(session), text=text.strip() or None,
                       kind=kind or None)  # fmt: skip
    count, rows = assistant.recs(flt)
    table = [[r["citation"], r["text"], ", ".join(r["recommending_states"]), RESPONSE_LABELS[r["response"]],
              r["state_under_review"], r["session"], r["cycle"]] for r in rows[:MAX_ROWS]]  # fmt: skip
    parts = []
    for src in assistant.records.breakdown(flt):
        where = src["report_symbol"] or f"UPR Info {src['source']}"
        split = ", ".join(f"{src[k]} {RESPONSE_LABELS[k].lower()}" for k in RESPONSES if src[k])
        parts.append(f"- **{where}** ({src['state_under_review']}, phiên {src['session']}): {src['total']} — {split}")
    shown = f" (hiển thị {MAX_ROWS} đầu tiên; tải CSV để có đủ)" if count > MAX_ROWS else ""
    summary = f"**{count} khuyến nghị**{shown}\n" + "\n".join(parts)
    if not count:
        return "Không có khuyến nghị nào khớp bộ lọc.", table, gr.update(value=None, visible=False)
    exports = assistant.settings.data_dir / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    path = exports / f"khuyen-nghi-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens Vietnamese text right
        to_csv(rows, f)
    return summary, table, gr.update(value=str(path), visible=True)


def records_tab(assistant: Assistant) -> None:
    """Build the tab inside the current Blocks context and wire its events."""
    gr.Markdown("Danh sách khuyến nghị UPR trích từ các báo cáo của Nhóm công tác (mỗi khuyến nghị một dòng) "
                "và dữ liệu UPR Info (mỗi quốc gia khuyến nghị một dòng).")
    with gr.Row():
        sur = gr.Textbox(label="Quốc gia được rà soát", placeholder="Viet Nam", elem_id="recs-sur")
        from_state = gr.Textbox(label="Quốc gia khuyến nghị", placeholder="Norway", elem_id="recs-from")
        response = gr.Dropdown([("Tất cả", "")] + [(v, k) for k, v in RESPONSE_LABELS.items()], value="",
                               label="Trả lời")
        cycle = gr.Dropdown([("Tất cả", ""), ("I", "1"), ("II", "2"), ("III", "3"), ("IV", "4")], value="",
                            label="Chu kỳ")
        session = gr.Textbox(label="Phiên", placeholder="18")
    with gr.Row():
        text = gr.Textbox(label="Từ khóa (tiếng Anh; ratif* = mọi từ bắt đầu bằng ratif)", scale=3,
                          elem_id="recs-text")
        kind = gr.Dropdown([("Mọi nguồn", ""), ("Báo cáo Nhóm công tác", "wg_report"), ("UPR Info", "upr_info")],
                           value="", label="Nguồn")
        go = gr.Button("Tìm", variant="primary", elem_id="recs-search")
    summary = gr.Markdown(elem_id="recs-summary")
    table = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True,
                         column_widths=["14%", "42%", "16%", "8%", "10%", "5%", "5%"])
    download = gr.DownloadButton("Tải CSV", visible=False)
    inputs = [sur, from_state, response, cycle, session, text, kind]
    gr.on([go.click, text.submit, sur.submit, from_state.submit],
          lambda *a: search_records(assistant, *a), inputs, [summary, table, download],
          api_name="recs", concurrency_limit=4)  # fmt: skip
