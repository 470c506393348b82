"""Recommendations as records: splitting States, response groups, both report numbering styles
(on small synthetic pages and on real Working Group reports) and UPR Info rows.

Expected counts on real reports were found independently of this code: the PDFs were read with
pypdf's plain text mode (not ``ingest.pdf_text``) and the numbered items of each response group
were listed with a regex and checked to run 1..N without gaps; the recommending-State counts were
checked against the UPR Info CSV rows (one row per State) with the csv module.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from ingest.loaders import LoadedDocument, Section, load_file
from ingest.recommendations import Recommendation, csv_records, parse_wg_report, split_states
from tests.conftest import SAMPLE, UN_REPORTS, UPR_INFO

FIXTURES = Path(__file__).parent / "fixtures" / "records"


@pytest.mark.parametrize(
    ("printed", "text", "states"),
    [
        ("Ratify CAT (Gabon, Mali, Slovakia)/Accede to CAT (Togo);", "Ratify CAT/Accede to CAT",
         ["Gabon", "Mali", "Slovakia", "Togo"]),
        ("Ratify CAT (Gabon, Mali, Slovakia); Accede to CAT (Togo);", "Ratify CAT; Accede to CAT",
         ["Gabon", "Mali", "Slovakia", "Togo"]),
        ("Ratify CAT (United Kingdom of Great Britain and Northern Ireland);", "Ratify CAT",
         ["United Kingdom of Great Britain and Northern Ireland"]),
        ("Protect peasants (Bolivia (Plurinational State of));", "Protect peasants",
         ["Bolivia (Plurinational State of)"]),
        ("Reduce poverty (Iran (Islamic Republic of), Cuba);", "Reduce poverty",
         ["Iran (Islamic Republic of)", "Cuba"]),
        ("Teach rights (Venezuela (Bolivarian Republic of));", "Teach rights",
         ["Venezuela (Bolivarian Republic of)"]),
        ("Free bloggers (Netherlands, Norway);", "Free bloggers", ["Netherlands", "Norway"]),
        ("Ratify the CRPD (South Africa) (Azerbaijan) and adopt the law (Nigeria);",
         "Ratify the CRPD and adopt the law", ["South Africa", "Azerbaijan", "Nigeria"]),
        ("Ratify the OP-ICESCR (Mexico; Egypt);", "Ratify the OP-ICESCR", ["Mexico", "Egypt"]),
        ("Withdraw reservations (Brazil/Spain);", "Withdraw reservations", ["Brazil", "Spain"]),
        ("Ratify the Convention against Torture (CAT) and ILO Convention No. 189 (2011) (Chile);",
         "Ratify the Convention against Torture (CAT) and ILO Convention No. 189 (2011)", ["Chile"]),
        # misprints in real reports: a misspelt State, a lost '(' and an unclosed '('
        ("Ratify the Kampala amendments (Lichtenstein);", "Ratify the Kampala amendments", ["Lichtenstein"]),
        ("Ratify the Rome Statute Ghana);", "Ratify the Rome Statute", ["Ghana"]),
        ("Regulate security companies (Iran (Islamic Republic of);", "Regulate security companies",
         ["Iran (Islamic Republic of)"]),
    ],
)  # fmt: skip
def test_split_states(printed: str, text: str, states: list[str]) -> None:
    assert split_states(printed) == (text, states)


def _doc(pages: list[str], **meta: str | int) -> LoadedDocument:
    metadata = {"symbol": "A/HRC/0/1", "country": "Utopia", "session": 5, "cycle": 1} | meta
    sections = [Section(text, page=n) for n, text in enumerate(pages, start=1)]
    return LoadedDocument(Path("utopia.pdf"), sections, metadata, "0" * 64)  # type: ignore[arg-type]


def test_new_style_groups_page_breaks_and_footnotes() -> None:
    page1 = (
        "II. Conclusions and/or recommendations**\n\n"
        "90. The recommendations formulated during the interactive dialogue and listed below have been "
        "examined by Utopia and enjoy the support of Utopia:\n\n"
        "90.1. Ratify CAT (Norway);\n\n"
        "90.2 Establish a national human rights institution in line with the\n\n"
        "** Conclusions and recommendations have not been edited."
    )
    page2 = (
        "Paris Principles (France, Chile);\n\n"
        "91. The following recommendations will be examined by Utopia, which will provide responses in due time:\n\n"
        "91.1. Abolish the death penalty (Italy);\n\n"
        "92. The recommendations below did not enjoy the support of Utopia:\n\n"
        "92.1. Release all political prisoners (Germany);92.2. Allow free media (Sweden);\n\n"
        "93. All conclusions and/or recommendations contained in the present report reflect the position ...\n\n"
        "Annex"
    )
    records = parse_wg_report(_doc([page1, page2]))
    assert [(r.para_id, r.response, r.page) for r in records] == [
        ("90.1", "supported", 1),
        ("90.2", "supported", 1),
        ("91.1", "pending", 2),
        ("92.1", "noted", 2),
        ("92.2", "noted", 2),
    ]
    joined = records[1]
    assert joined.text == "Establish a national human rights institution in line with the Paris Principles"
    assert joined.recommending_states == ["France", "Chile"]
    assert records[3].response_text == "The recommendations below did not enjoy the support of Utopia:"
    assert all(r.report_symbol == "A/HRC/0/1" and r.session == 5 and r.cycle == 1 for r in records)


def test_old_style_items_comments_and_follow_up() -> None:
    page1 = (
        "II. CONCLUSIONS AND/OR RECOMMENDATIONS\n\n"
        "60. In the course of the discussion, the following recommendations were made to Utopia:\n\n"
        "1. Ratify CAT (United\n\n"
        "Kingdom); consider acceding to CAT (Algeria);\n\n"
        "2. Protect journalists (Norway);\n\n"
        "Utopia explained that journalists are protected by its Constitution.\n\n"
        "2 The recommendation as read during the interactive dialogue: protect journalists."
    )
    page2 = (
        "3. Combat trafficking (Belarus).\n\n"
        "61. The response of Utopia to these recommendations will be included in the outcome report.\n\n"
        "62. Utopia offered the following comments:\n\n"
        "1. Regarding recommendation 2, the Constitution protects journalists.\n\n"
        "63. All conclusions and/or recommendations contained in the present report reflect ..."
    )
    records = parse_wg_report(_doc([page1, page2]))
    assert [(r.para_id, r.response, r.page) for r in records] == [
        ("60.1", "pending", 1),
        ("60.2", "pending", 1),
        ("60.3", "pending", 2),
    ]
    assert records[0].text == "Ratify CAT; consider acceding to CAT"
    assert records[0].recommending_states == ["United Kingdom of Great Britain and Northern Ireland", "Algeria"]
    assert records[1].text == "Protect journalists"  # the State's comment and the footnote stay out
    assert "will be included in the outcome report" in records[0].response_text


@pytest.mark.parametrize(
    ("sentence", "response"),
    [
        ("The following recommendations enjoy the support of Utopia, which considers that they are already "
         "implemented or in the process of implementation:", "supported"),
        ("The recommendations formulated during the interactive dialogue have been examined by Utopia and the "
         "recommendations listed below enjoy the support of Utopia:", "supported"),
        ("The recommendations below did not enjoy the support of Utopia:", "noted"),
        ("Utopia considers that the recommendations below cannot be accepted and would thus be noted:", "noted"),
        ("The following recommendations were rejected by Utopia:", "noted"),
        ("The following recommendations will be examined by Utopia which will provide responses in due time, but no "
         "later than the twenty-sixth session of the Human Rights Council:", "pending"),
    ],
)  # fmt: skip
def test_response_groups(sentence: str, response: str) -> None:
    page = f"II. Conclusions and/or recommendations\n\n80. {sentence}\n\n80.1. Ratify CAT (Chile);"
    (record,) = parse_wg_report(_doc([page]))
    assert (record.response, record.response_text) == (response, sentence)


@pytest.fixture(scope="module")
def vietnam2014() -> list[Recommendation]:
    return parse_wg_report(load_file(SAMPLE / "vietnam2014.pdf"))


@pytest.fixture(scope="module")
def vietnam2009() -> list[Recommendation]:
    return parse_wg_report(load_file(SAMPLE / "vietnam2009.pdf"))


def _upr_info_rows(file: str, sur: str, session: int) -> list[dict[str, str]]:
    with (UPR_INFO / file).open(encoding="utf-8", newline="") as f:
        return [row for row in csv.DictReader(f) if row["To"] == sur and row["Session"] == str(session)]


def test_vietnam_2014_new_style(vietnam2014: list[Recommendation]) -> None:
    # Items 143.1-143.227, all in the one group that "will be examined by Viet Nam": the report
    # itself states no support or rejection (the responses came later, in A/HRC/26/6/Add.1).
    assert [r.para_id for r in vietnam2014] == [f"143.{n}" for n in range(1, 228)]
    assert Counter(r.response for r in vietnam2014) == {"pending": 227}
    assert {r.state_under_review for r in vietnam2014} == {"Viet Nam"}
    by_id = {r.para_id: r for r in vietnam2014}
    assert by_id["143.12"].text == "Ratify CAT/Accede to CAT"
    assert by_id["143.12"].recommending_states == ["Gabon", "Mali", "Slovakia", "Togo"]
    assert by_id["143.12"].page == 14
    assert by_id["143.33"].recommending_states == ["Bolivia (Plurinational State of)"]  # printed inverted
    assert by_id["143.57"].recommending_states == ["Venezuela (Bolivarian Republic of)"]
    assert by_id["143.187"].recommending_states == ["Iran (Islamic Republic of)"]
    # continued over a page break, no footnote leaks in
    assert by_id["143.116"].text.endswith(
        "Working Group on Arbitrary Detention on individuals and release the individuals concerned"
    )
    assert not any("edited" in r.text for r in vietnam2014)
    # UPR Info lists a joint recommendation once per State: 256 rows for this review
    assert sum(len(r.recommending_states) for r in vietnam2014) == len(_upr_info_rows("17-20.csv", "Viet Nam", 18))


def test_vietnam_2009_old_style(vietnam2009: list[Recommendation]) -> None:
    # Para. 99 (support) items 1-93, para. 100 (will be examined) items 1-2, para. 101
    # ("Viet Nam noted the following recommendations") items 1-5; para. 102 only cites paragraphs.
    ids = [r.para_id for r in vietnam2009]
    assert ids == [f"99.{n}" for n in range(1, 94)] + ["100.1", "100.2"] + [f"101.{n}" for n in range(1, 6)]
    assert Counter(r.response for r in vietnam2009) == {"supported": 93, "pending": 2, "noted": 5}
    by_id = {r.para_id: r for r in vietnam2009}
    assert by_id["99.2"].recommending_states == ["South Africa", "Azerbaijan", "Nigeria"]
    assert by_id["99.11"].recommending_states == ["United Kingdom of Great Britain and Northern Ireland", "Australia"]
    assert by_id["99.33"].text.endswith("reduce the number of offences punishable by the death penalty")
    assert by_id["100.1"].recommending_states == ["Malaysia", "Belarus", "Mexico"]


def test_afghanistan_2014_three_groups() -> None:
    # 136.1-136.178 supported, 137.1-137.34 pending, 138.1-138.12 "did not enjoy the support".
    records = parse_wg_report(load_file(UN_REPORTS / "afghanistan2014.pdf"))
    assert Counter(r.para_id.split(".")[0] for r in records) == {"136": 178, "137": 34, "138": 12}
    assert Counter(r.response for r in records) == {"supported": 178, "pending": 34, "noted": 12}
    assert sum(len(r.recommending_states) for r in records) == len(_upr_info_rows("17-20.csv", "Afghanistan", 18))


def test_burundi_2009_old_style_skips_comments() -> None:
    # Para. 80 items 1-41 supported, para. 81 items 1-10 pending; paras 82-83 hold Burundi's
    # comments on recommendations cited by paragraph number, which are not recommendations.
    records = parse_wg_report(load_file(UN_REPORTS / "burundi2009.pdf"))
    assert [r.para_id for r in records] == [f"80.{n}" for n in range(1, 42)] + [f"81.{n}" for n in range(1, 11)]
    assert Counter(r.response for r in records) == {"supported": 41, "pending": 10}
    assert records[1].recommending_states == ["Mexico", "Argentina"]
    assert all(r.recommending_states for r in records)


def test_csv_records_map_responses() -> None:
    records = csv_records(load_file(FIXTURES / "upr_info_sample.csv"))
    assert [(r.row, r.response, r.response_text) for r in records] == [
        (2, "supported", "Accepted"),
        (3, "supported", "Accepted"),
        (4, "noted", "Noted"),
        (5, "noted", "Rejected"),
        (6, "pending", "Pending"),
        (7, "pending", "No Response"),
        (8, "supported", "Supported"),
    ]  # the voluntary pledge (row 9) is no recommendation
    first = records[0]
    assert (first.text, first.recommending_states, first.state_under_review) == ("Ratify CAT", ["Gabon"], "Viet Nam")
    assert (first.session, first.cycle, first.source, first.action) == (18, 2, "upr_info_sample.csv", "5")
    assert records[4].recommending_states == ["Iran (Islamic Republic of)"]
    assert records[5].recommending_states == []  # "&#40;Unknown&#41;"
    assert (records[6].state_under_review, records[6].recommending_states) == (
        "Bosnia and Herzegovina",
        ["Saint Kitts and Nevis"],
    )
