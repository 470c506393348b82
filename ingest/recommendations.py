"""UPR recommendations as structured records: parsed from the "Conclusions and/or
recommendations" section of a Working Group report, or converted from UPR Info CSV rows.

One record per numbered recommendation, as the UN counts them: a joint or multi-part item
("Ratify CAT (Gabon, Mali, Slovakia)/Accede to CAT (Togo);") stays one record that carries
all its recommending States. ``para_id`` is how the report itself cites the item:

- 2011 onwards, items are numbered inside their paragraph ("143.12. ...") -> "143.12";
- 2008-2010, paragraph 86 holds items "1.", "2." ... -> "86.1", "86.2" (UPR Info and the
  OHCHR matrices cite them the same way).

Some 2008 reports do not list recommendations in this section at all but point back to
paragraphs of the interactive dialogue ("recommendations in paragraphs 31 (c) and (d) ... did
not enjoy the support"); such groups give no records.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from index.states import canonical_state
from ingest.loaders import LoadedDocument
from ingest.metadata import cycle_from_session, year_of_session

_HEADING_RE = re.compile(r"(?:[IVX]+\.\s*)?conclusions?\s+and\s*(?:/\s*or\s+)?recommendations?[\s*∗]*", re.I)
_END_RE = re.compile(
    r"(?:\d{1,3}\.\s+)?(?:All\s+)?(?:the\s+)?conclusions\s+and(?:/or)?\s+recommendations\s+(?:contained|set\s+out)"
    r"|[IVX]+\.\s+[A-Z]|Annex\b|ANNEX\b",
)
_NOISE_RE = re.compile(
    r"\s*[*∗]+\s*(?:The\s+)?conclusions\s+and\s+recommendations\s+(?:have\s+not\s+been|will\s+not\s+be)\s+edited\.?",
    re.I,
)
# Where a report lost its heading, the section starts at its first response-group paragraph.
_FALLBACK_START_RE = re.compile(
    r"\d{1,3}\.\s+(?:The\s+)?(?:following\s+)?recommendations\s+(?:formulated|listed|below)"
    r"|\d{1,3}\.\s+In\s+the\s+course\s+of\s+the\s+(?:interactive\s+)?(?:discussion|dialogue),\s+the\s+following\s+rec",
    re.I,
)
_TOP_RE = re.compile(r"(\d{1,3})\.\s+(.*)", re.S)
_OLD_ITEM_RE = re.compile(r"(\d{1,3})(?:\.\s+|\s+(?=[A-Z“\"(]))(.*)", re.S)  # also "4 Encourage" without its dot
_SUB_RE = re.compile(r"(\d{1,3})\s?[.\-]\s?(\d{1,3})\.?\s+(.*)", re.S)  # also the typos "125-15." and "111. 29"
_GLUED_ITEM_RE = re.compile(r"(?<=[;.])\s*(?=\d{1,3}\.\d{1,3}\.?\s+[A-Z])")  # "...(Spain);110.44. Take ..."
_COMMENTS_RE = re.compile(r"following\s+(?:comments|conclusions|observations)", re.I)
# A group about recommendations printed elsewhere: "The recommendations noted in the report in paragraphs 31 (b) ..."
_ELSEWHERE_RE = re.compile(
    r"\s*(?:The\s+|Other\s+)?recommendations\s+(?:noted|reflected|contained)\s+in\s+(?:the\s+report\s+in\s+)?"
    r"paragraphs?\s+\d",
    re.I,
)
_STATED_RE = re.compile(r"support|examin|accept|reject|noted", re.I)
_GROUP_RE = re.compile(r"recommendation|support|will\s+(?:be\s+)?examine|responses?\b", re.I)
_MAX_HEADING_CHARS = 50
# Footnotes that quote a recommendation "as read during the interactive dialogue": at a page's
# bottom as paragraphs of their own, or glued to the page's last line by the text extraction.
_FOOTNOTE = (
    r"\d{1,2}\s+(?:The\s+)?(?:text\s+of\s+the\s+)?(?:original\s+)?"
    r"(?:recommendations?\s+(?:as|was|were|originally|made|reads?)|wording)\b"
)
_FOOTNOTE_RE = re.compile(rf"(?:^|\s|(?<=[;.]))(?:{_FOOTNOTE}|\d{{1,2}}\s+See\s)", re.I)
_STARS_RE = re.compile(r"\s*[*∗]{2,}\s*$")  # "***" closing the list
_FOOTNOTE_MARK_RE = re.compile(r"(?<=[;.])\d{1,2}$")
# Response groups, checked in this order: "did not enjoy the support" must win over "support",
# and "already implemented and will be further considered" is support.
_RESPONSE_RES = (
    (
        "noted",
        re.compile(
            r"(?:did|do|does)\s+not\s+(?:enjoy|have|receive|obtain|gain)|not\s+(?:be\s+)?(?:supported|accepted)"
            r"|cannot\s+(?:support|accept)|\breject|(?:were|was|are|is|been|be)\s+noted|\btook\s+note|takes?\s+note"
            r"|taken\s+note|\bnoted\s+the\s+following",
            re.I,
        ),
    ),
    (
        "supported",
        re.compile(
            r"enjoy(?:s|ed)?\s+(?:the\s+|its\s+)?support|\bsupport(?:s|ed)\b|\baccept(?:s|ed)\b|\bagree[sd]?\b"
            r"|already\s+(?:been\s+|being\s+)?implemented|in\s+the\s+process\s+of\s+(?:being\s+)?implement",
            re.I,
        ),
    ),
    (
        "pending",
        re.compile(
            r"will\s+be\s+examined|will\s+examine|will\s+(?:provide|give|submit)\s+(?:its\s+|their\s+)?responses?"
            r"|will\s+respond|in\s+due\s+(?:time|course)|(?:will|to)\s+be\s+(?:further\s+)?considered"
            r"|responses?\b.{0,80}?will\s+be\s+included",
            re.I,
        ),
    ),
)


@dataclass
class Recommendation:
    """One UPR recommendation with who made it, to whom, and how the State under review responded."""

    report_symbol: str | None  # "A/HRC/26/6"; None for UPR Info rows
    para_id: str  # "143.12" / "86.1" (see the module doc); "" for UPR Info rows
    text: str  # the recommendation without the recommending States in parentheses
    recommending_states: list[str]  # each State once, in order of first mention
    response: str  # "supported" | "noted" | "pending"
    response_text: str  # the sentence that states the response group, or UPR Info's Response value
    page: int | None
    state_under_review: str | None
    session: int | None
    cycle: int | None
    full_text: str = ""  # as printed, States included
    source: str = ""  # file name
    row: int | None = None  # CSV row number (header is row 1) for UPR Info rows
    action: str = ""  # UPR Info action category (1-5)
    issues: str = ""  # UPR Info themes, comma-separated
    states_raw: list[str] = field(default_factory=list, repr=False)  # State names as printed
    year: int | None = None  # of the review (report date; UPR Info: the session's year)
    chunk_id: str | None = None  # the indexed chunk that holds it, set by the ingest pipeline


@dataclass
class _Item:
    para: int
    label: str
    page: int | None
    parts: list[str]


@dataclass
class _Group:
    para: int
    intro: str
    items: list[_Item] = field(default_factory=list)
    follow_up: str = ""  # a later item-less paragraph that states the response ("The response ... will")


def parse_wg_report(doc: LoadedDocument) -> list[Recommendation]:
    """Every numbered recommendation of a Working Group report's conclusions section ([] if none)."""
    meta = doc.metadata
    session, cycle = _int(meta.get("session")), _int(meta.get("cycle"))
    symbol, sur = _str(meta.get("symbol")), _str(meta.get("country"))
    sur_name = (canonical_state(sur, fuzzy=True) or sur) if sur else None
    records = []
    for group in _groups(_section(doc), sur):
        response, response_text = _response(group)
        for item in group.items:
            full = _tidy(" ".join(item.parts))
            text, states = split_states(full)
            records.append(
                Recommendation(
                    report_symbol=symbol,
                    para_id=f"{item.para}.{item.label}",
                    text=text,
                    recommending_states=_canonical(states),
                    response=response,
                    response_text=response_text,
                    page=item.page,
                    state_under_review=sur_name,
                    session=session,
                    cycle=cycle,
                    full_text=full,
                    source=doc.path.name,
                    states_raw=states,
                    year=year_of_session(session) or _year(meta.get("date")),
                )
            )
    return records


def _year(date: object) -> int | None:
    return int(date[:4]) if isinstance(date, str) and date[:4].isdigit() else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _section(doc: LoadedDocument) -> list[tuple[str, int | None]]:
    """Paragraphs (with their page) between the conclusions heading and the closing paragraph."""
    paragraphs: list[tuple[str, int | None]] = []
    for text, page in ((s.text, s.page) for s in doc.sections):
        chunks = [p.strip() for p in text.split("\n\n") if p.strip()]
        for chunk in _drop_footnotes(chunks):
            chunk = _STARS_RE.sub("", _NOISE_RE.sub("", chunk)).strip()
            paragraphs.extend((part, page) for part in _GLUED_ITEM_RE.split(chunk) if part)
    start = _section_start(paragraphs)
    if start is None:
        return []
    out: list[tuple[str, int | None]] = []
    for text, page in paragraphs[start:]:
        if out and _END_RE.match(text):
            break
        out.append((text, page))
    return out


def _drop_footnotes(chunks: list[str]) -> list[str]:
    """A page's paragraphs without the footnotes at its bottom: "2 The recommendation as read
    ...:" and the quoted wording after it, also when glued to the end of the page's last item."""
    for i, chunk in enumerate(chunks):
        found = _FOOTNOTE_RE.search(chunk)
        if found and not any(_TOP_RE.match(c) or _SUB_RE.match(c) for c in chunks[i + 1 :]):
            head = chunk[: found.start()].strip()
            return chunks[:i] + ([head] if head else [])
    return chunks


def _section_start(paragraphs: list[tuple[str, int | None]]) -> int | None:
    """Index of the section's first paragraph: after the (last) heading, else the first response group."""
    headings = [i for i, (p, _) in enumerate(paragraphs) if _HEADING_RE.fullmatch(p)]
    if headings:
        return headings[-1] + 1
    return next((i for i, (p, _) in enumerate(paragraphs) if _FALLBACK_START_RE.match(p)), None)


def _groups(paragraphs: list[tuple[str, int | None]], sur: str | None = None) -> list[_Group]:
    """Response groups and their items: a state machine over numbered paragraphs."""
    groups: list[_Group] = []
    item: _Item | None = None
    remark = False  # inside the State's comment after an item
    for text, page in paragraphs:
        group = groups[-1] if groups else None
        sub = _SUB_RE.match(text)
        top = _TOP_RE.match(text)
        old = _OLD_ITEM_RE.match(text)
        if group and sub and (int(sub[1]) == group.para or int(sub[2]) == _next_item(group) > 1):
            item = _Item(group.para, str(int(sub[2])), page, [sub[3]])
            group.items.append(item)
            remark = False
        elif top and _starts_group(int(top[1]), top[2], group):
            groups.append(_Group(int(top[1]), top[2]))
            item, remark = None, False
        elif group and old and _is_next_item(int(old[1]), old[2], group):
            item = _Item(group.para, old[1], page, [old[2]])
            group.items.append(item)
            remark = False
        elif item is not None and (_is_remark(item, text, sur) or (remark and not _state_groups(text))):
            remark = True
            if re.search(r"\babove\b", text) and _GROUP_RE.search(text):  # "The recommendations listed above enjoy ..."
                group.follow_up = text  # type: ignore[union-attr]
            continue
        elif item is not None:
            item.parts.append(text)
        elif group is not None:
            group.intro = f"{group.intro} {text}"
    _attach_follow_ups(groups)
    return [g for g in groups if g.items and _lists_recommendations(g.intro)]


def _lists_recommendations(intro: str) -> bool:
    """False for groups of the State's comments or of agreed conclusions, which are no recommendations."""
    if not _STATED_RE.search(intro) and not re.search(r"recommend", intro, re.I):
        return False
    if _ELSEWHERE_RE.match(intro):  # what follows are comments on them
        return False
    return not (_COMMENTS_RE.search(intro) and not _STATED_RE.search(intro))


def _is_remark(item: _Item, text: str, sur: str | None) -> bool:
    """A paragraph after a finished item that is no part of it: the State's comment on it
    ("San Marino is not in a position to accept ...") or the group's response."""
    finished = re.search(r"\)\s*[;.]?\s*$", item.parts[-1]) and _state_groups(item.parts[-1])
    if not finished or not text[:1].isupper() or _state_groups(text):
        return False
    heading = len(text) <= _MAX_HEADING_CHARS  # a thematic subheading: "Follow-up to UPR"
    return heading or text.rstrip().endswith(".") or bool(sur and text.startswith(sur))


def _is_next_item(number: int, text: str, group: _Group) -> bool:
    """The next old-style item, or the one after it when the PDF text lost an item."""
    expected = _next_item(group)
    return number == expected or (number == expected + 1 > 2 and bool(_state_groups(text)))


def _next_item(group: _Group) -> int:
    return int(group.items[-1].label) + 1 if group.items else 1


def _starts_group(number: int, text: str, group: _Group | None) -> bool:
    """Whether 'N. text' opens a new paragraph of the section rather than an old-style item."""
    if group is None:
        return True
    if number != group.para + 1:
        return False
    if number != _next_item(group):
        return True
    return bool(_GROUP_RE.search(text[:300])) and not re.search(r"\([A-Z][^()]*\)\s*[;.]?$", text)


def _attach_follow_ups(groups: list[_Group]) -> None:
    """An item-less paragraph right after a group ("The response of X to these recommendations
    will be included in the outcome report") states that group's response."""
    for before, after in zip(groups, groups[1:], strict=False):
        refers = not re.match(r"\s*Other\b", after.intro) and not _ELSEWHERE_RE.match(after.intro)
        if before.items and not after.items and refers and _GROUP_RE.search(after.intro):
            before.follow_up = after.intro


def _response(group: _Group) -> tuple[str, str]:
    """The response a group's intro states (or the paragraph after it), and the sentence that says it."""
    intro = _tidy(group.intro)
    for response, pattern in _RESPONSE_RES:
        if pattern.search(intro):
            return response, intro
    follow_up = _tidy(group.follow_up)
    # A follow-up may mix groups ("some enjoy the support ... the response will be included"): pending wins.
    for response, pattern in sorted(_RESPONSE_RES, key=lambda rp: rp[0] != "pending"):
        if follow_up and pattern.search(follow_up):
            return response, f"{intro} {follow_up}"
    return "pending", intro  # "the following recommendations were made to X": no response stated


def _tidy(text: str) -> str:
    text = _FOOTNOTE_MARK_RE.sub("", text.strip())
    return re.sub(r"\s+", " ", text).strip()


def split_states(text: str) -> tuple[str, list[str]]:
    """Recommendation text without its parenthesised recommending States, and those States.

    '(Gabon, Mali, Slovakia)', '(Bolivia (Plurinational State of))', '(Mexico; Egypt)' and
    '(France) (Iraq)' are State groups; '(CAT)' or '(2011)' are not and stay in the text.
    States are returned as printed; misspelt ones ('Lichtenstein') are recognised too.
    """
    states: list[str] = []
    kept: list[str] = []
    pos = 0
    for start, end, names in _state_groups(text):
        kept.append(text[pos:start])
        states.extend(names)
        pos = end
    kept.append(text[pos:])
    return _clean_text("".join(kept)), list(dict.fromkeys(states))


def _state_groups(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, States) of each parenthesis that lists States, outermost first, in text order.

    Reports drop parentheses now and then: an unclosed '(' ("(Iran (Islamic Republic of);") runs
    to the end of its clause, and a State before a stray ')' ("... Court Ghana);") counts too.
    """
    candidates: list[tuple[int, int, str]] = []
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            start = stack.pop()
            candidates.append((start, i + 1, text[start + 1 : i]))
        elif ch == ")":
            stray = _stray_state(text[:i])
            if stray is not None:
                candidates.append((stray, i + 1, text[stray:i]))
    for start in stack:  # unclosed: up to the end of the clause
        end = next((m.start() for m in re.finditer(r"[;/]|$", text) if m.start() > start), len(text))
        candidates.append((start, end, text[start + 1 : end]))
    found: list[tuple[int, int, list[str]]] = []
    for start, end, inner in sorted(candidates, key=lambda c: (c[0], -c[1])):
        if any(s <= start and end <= e for s, e, _ in found):
            continue
        names = _state_names(inner)
        if names:
            found.append((start, end, names))
    return sorted(found)


def _stray_state(before: str) -> int | None:
    """Start of the longest State name that ends ``before`` (up to six words)."""
    words = list(re.finditer(r"\S+", before[-80:]))
    offset = max(0, len(before) - 80)
    for n in range(min(6, len(words)), 0, -1):
        start = words[-n].start()
        if before[offset + start].isupper() and canonical_state(before[offset + start :]):
            return offset + start
    return None


def _state_names(inner: str) -> list[str]:
    """The States a parenthesis lists, or [] when it is not a list of States."""
    if canonical_state(inner):  # "Venezuela, Bolivarian Republic of"
        return [inner.strip()]
    names: list[str] = []
    for part in _split_top(inner):
        part = re.sub(r"^(?:and\s+|the\s+)", "", part.strip(), flags=re.I)
        part = re.sub(r"\s+\d{1,2}$", "", part).strip(" .")  # footnote mark: "(Romania 1)"
        if not part:
            continue
        pieces = _state_pieces(part)
        if not pieces:
            return []
        names.extend(pieces)
    return names


def _state_pieces(part: str) -> list[str]:
    """One State ('Lichtenstein' too), or two run together ('Poland United Kingdom', 'Chile and Peru')."""
    if canonical_state(part, fuzzy=True):
        return [part]
    pieces = [p.strip() for p in re.split(r"\s+and\s+", part)]
    if len(pieces) > 1 and all(canonical_state(p) for p in pieces):
        return pieces
    words = part.split()
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        if canonical_state(head) and canonical_state(tail):
            return [head, tail]
    return []


def _split_top(inner: str) -> list[str]:
    """Split on commas, semicolons and slashes outside nested parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in inner:
        depth += (ch == "(") - (ch == ")")
        if ch in ",;/" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _clean_text(text: str) -> str:
    """Tidy the gaps the removed States leave: 'law (Thailand).; continue' -> 'law; continue'."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([;,.:)])", r"\1", text)
    text = re.sub(r"\.;", ";", text)
    text = re.sub(r";(?=\S)", "; ", text)
    text = re.sub(r"\s*/\s*", "/", text)
    return re.sub(r"(?:[;,.]\s*|\s+and)+$", "", text.strip()).strip()


def _canonical(states: list[str]) -> list[str]:
    """UN short names, each State once."""
    return list(dict.fromkeys(canonical_state(s, fuzzy=True) or s for s in states))


_RESPONSE_MAP = {"accepted": "supported", "supported": "supported", "noted": "noted", "rejected": "noted"}


def csv_records(doc: LoadedDocument) -> list[Recommendation]:
    """UPR Info CSV rows (one per recommending State) as records; voluntary pledges are left out.

    Accepted/Supported -> supported, Noted/Rejected -> noted, anything else (Pending, No Response,
    General Response, blank) -> pending; ``response_text`` keeps UPR Info's own word.
    """
    records = []
    for section in doc.sections:
        extra = section.extra
        raw = str(extra.get("record_response", "")).strip()
        if raw.casefold() == "voluntary pledge" or "record_sur" not in extra:
            continue
        session = _int(extra.get("record_session"))
        source = html.unescape(str(extra.get("record_from", ""))).strip()
        states = [source] if source and source.casefold() != "(unknown)" else []
        sur = str(extra["record_sur"])
        text = _csv_text(section.text, f"Recommendation to {sur} from {extra.get('record_from', '')}")
        row = extra.get("row")
        records.append(
            Recommendation(
                report_symbol=None,
                para_id="",
                text=text,
                recommending_states=_canonical(states),
                response=_RESPONSE_MAP.get(raw.casefold(), "pending"),
                response_text=raw,
                page=None,
                state_under_review=canonical_state(sur, fuzzy=True) or sur,
                session=session,
                cycle=cycle_from_session(session) if session else None,
                full_text=text,
                source=doc.path.name,
                row=int(row) if isinstance(row, (int, float)) else None,
                action=str(extra.get("record_action", "")),
                issues=str(extra.get("record_issues", "")),
                states_raw=states,
                year=year_of_session(session),
            )
        )
    return records


def _csv_text(section_text: str, lead: str) -> str:
    """The recommendation of a CSV section, without the lead the loader writes before it
    ("Recommendation to Viet Nam from Norway (session 5, response: Accepted): ")."""
    if not section_text.startswith(lead):
        return section_text
    rest = section_text[len(lead) :]
    if rest.startswith(" (") and "): " in rest:
        return rest[rest.index("): ") + 3 :]
    return rest[2:] if rest.startswith(": ") else section_text
