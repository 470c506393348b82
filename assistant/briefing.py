"""Press-briefing drafts: a cited answer rewritten as a formal Markdown note, and its .docx.

Only sentences that carry a valid ``[n]`` citation make it into a draft: a briefing read to
the press must not contain a claim that no source backs.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.text import split_sentences
from assistant.types import Answer, Citation

# claim text, then one or more ``[n]`` / ``[n, m]`` markers, then the sentence end if it follows them
_CITED = re.compile(r"(.+?)((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)([.!?]?)", re.S)
_INLINE = re.compile(r"\*\*(.+?)\*\*")
_NUMBERED = re.compile(r"^\d+\.\s+")

WORDS = {
    "vi": {"heading": "Thông tin báo chí", "question": "Câu hỏi", "sources": "Nguồn",
           "empty": "Không có nội dung nào có nguồn trích dẫn hợp lệ để đưa vào bản tin.",
           "note": "Bản nháp do UPR Assistant soạn từ các nguồn trích dẫn; cần cán bộ kiểm tra trước khi sử dụng."},
    "en": {"heading": "Press briefing", "question": "Question", "sources": "Sources",
           "empty": "No statement with a valid citation is available for this briefing.",
           "note": "Draft prepared by UPR Assistant from the cited sources; to be checked by staff before use."},
}


def cited_sentences(answer: Answer) -> tuple[list[str], list[int]]:
    """Answer sentences that carry at least one valid marker (invalid ones removed), and the numbers used.

    A marker cites the sentence right before it, whether written ``claim [1].`` or ``claim. [1]``;
    text between two cited sentences has no citation and is dropped.
    """
    valid = {c.n for c in answer.citations if c.valid}
    kept: list[str] = []
    used: list[int] = []
    if answer.refused:
        return kept, used
    for match in _CITED.finditer(answer.answer):
        good = [n for n in dict.fromkeys(int(x) for x in re.findall(r"\d+", match.group(2))) if n in valid]
        sentences = split_sentences(match.group(1).lstrip(" .!?;:"))
        if not good or not sentences:
            continue
        claim = sentences[-1].rstrip()
        end = match.group(3) or (claim[-1] if claim[-1] in ".!?" else ".")
        claim = claim.rstrip(".!?;: ")
        kept.append(f"{claim} {''.join(f'[{n}]' for n in good)}{end}")
        used += [n for n in good if n not in used]
    return kept, used


def source_line(citation: Citation, answer: Answer) -> str:
    """``[n] Title — locator — date`` for the sources list."""
    meta = next((p.metadata for p in answer.passages if p.chunk_id == citation.chunk_id), {})
    parts = [citation.title or citation.source]
    locator = citation.locator or (f"p. {citation.page}" if citation.page else "")
    date = str(meta.get("date") or "")
    parts += [x for x in (locator, "" if date in locator else date) if x]
    if citation.source and citation.source not in parts[0]:
        parts.append(citation.source)
    return f"[{citation.n}] " + " — ".join(parts)


def draft_briefing(answer: Answer, language: str) -> str:
    """A formal Markdown draft: heading, cited sentences only, then the list of sources."""
    words = WORDS.get(language, WORDS["en"])
    sentences, used = cited_sentences(answer)
    lines = [f"# {words['heading']}", "", f"**{words['question']}:** {answer.question.strip()}", ""]
    lines += [" ".join(sentences) if sentences else words["empty"], ""]
    by_n = {c.n: c for c in answer.citations}
    if used:
        lines += [f"## {words['sources']}", ""]
        lines += [f"- {source_line(by_n[n], answer)}" for n in sorted(used)]
        lines.append("")
    lines.append(f"*{words['note']}*")
    return "\n".join(lines) + "\n"


def to_docx(markdown_text: str, path: Path | str) -> Path:
    """Write a briefing draft (the small Markdown subset ``draft_briefing`` emits) as .docx."""
    from docx import Document

    doc = Document()
    for block in re.split(r"\n\s*\n", markdown_text.strip()):
        for line in block.split("\n"):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                level = len(line) - len(line.lstrip("#"))
                doc.add_heading(line.lstrip("#").strip(), level=min(level, 3))
            elif _NUMBERED.match(line):
                _add_runs(doc.add_paragraph(style="List Number"), _NUMBERED.sub("", line))
            elif line.startswith(("- ", "* ")):
                _add_runs(doc.add_paragraph(style="List Bullet"), line[2:])
            else:
                _add_runs(doc.add_paragraph(), line)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


def _add_runs(paragraph: object, text: str) -> None:
    """``**bold**`` and ``*italic*`` spans as runs; everything else as plain text."""
    if text.startswith("*") and text.endswith("*") and not text.startswith("**"):
        paragraph.add_run(text.strip("*")).italic = True  # type: ignore[attr-defined]
        return
    for i, part in enumerate(_INLINE.split(text)):
        if part:
            paragraph.add_run(part).bold = i % 2 == 1  # type: ignore[attr-defined]
