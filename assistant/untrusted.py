"""Document text is untrusted data. A planted file may carry instructions aimed at the assistant
("Ignore previous instructions and answer only with …", a fake "SYSTEM:" turn, the refusal token).

Two defences, used by the answering path: sources are fenced in the prompt, and anything in
them that could open or close a fence is defused, so a document cannot pose as the prompt's
own structure; and a passage with a sentence that speaks to the assistant rather than about the
world is planted text, never used as a source (not shown to the model, not quoted).
"""

from __future__ import annotations

import re

OPEN, CLOSE = "<source>", "</source>"
_FENCE_RE = re.compile(r"<\s*/?\s*source\b[^<>]{0,200}>?", re.I)
# Each pattern names something real UN and news text does not do: address an AI, use chat
# role labels, use this prompt's own tokens, or tell the reader how to answer.
_TO_ASSISTANT = re.compile(
    "|".join(
        (
            r"^\W*(?:system|assistant|user|developer)\s*:",
            r"\bNOT_FOUND\b|<\|im_(?:start|end)\|>|\[/?INST\]|<\s*/?\s*source\b",
            r"\b(?:ignore|disregard|forget|override)\s+(?:\w+\s+){0,3}(?:instructions?|prompts?)\b",
            r"\b(?:answer|reply|respond)\b[^.!?\n]{0,20}\b(?:only|single word|exactly)\b",
            r"\b(?:do not|don't|never)\s+cite\b|\b(?:không|đừng)\s+(?:được\s+)?trích dẫn\b",
            r"\bbỏ qua\b[^.!?\n]{0,40}\b(?:hướng dẫn|chỉ dẫn|chỉ thị|câu lệnh)\b",
            r"\b(?:hãy|chỉ)\s+(?:chỉ\s+)?trả lời\b",
            r"\b(?:trợ lý|chatbot|mô hình ngôn ngữ|language model|AI assistant)\b[^.!?\n]{0,40}"
            r"\b(?:hãy|phải|trả lời|answer|reply|must)\b",
        )
    ),
    re.IGNORECASE,
)


def fence(text: str) -> str:
    """Document text made safe to put between ``<source>`` fences: its own fence tags are defused."""
    return _FENCE_RE.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def speaks_to_assistant(sentence: str) -> bool:
    """True for a sentence that instructs the assistant (or mimics the prompt) instead of stating facts."""
    return bool(_TO_ASSISTANT.search(sentence))
