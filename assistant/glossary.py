"""Vietnamese–English UPR terms, so that a question in one language can be matched to
sources in the other ("third cycle" = "chu kỳ III", "chấp thuận" = "accepted")."""

from __future__ import annotations

from index.tokenize import fold

# (Vietnamese, English); either side may carry alternatives separated by " / ".
TERMS: tuple[tuple[str, str], ...] = (
    ("chu kỳ I", "first cycle / cycle I"),
    ("chu kỳ II", "second cycle / cycle II"),
    ("chu kỳ III", "third cycle / cycle III"),
    ("chu kỳ IV", "fourth cycle / cycle IV"),
    ("khuyến nghị", "recommendation"),
    ("chấp thuận / ủng hộ", "accepted / supported / enjoy the support"),
    ("ghi nhận", "noted / did not enjoy the support"),
    ("quốc gia khuyến nghị", "recommending State"),
    ("quốc gia được rà soát", "State under review"),
    ("án tử hình", "death penalty / capital punishment"),
    ("tra tấn / Công ước chống tra tấn", "torture / Convention against Torture / CAT"),
    ("phê chuẩn / gia nhập", "ratify / accede"),
    ("báo cáo quốc gia", "national report"),
    ("Hội đồng Nhân quyền", "Human Rights Council"),
    ("Nhóm làm việc", "Working Group"),
    ("đối thoại tương tác / phiên đối thoại", "interactive dialogue"),
    ("trưởng đoàn / dẫn đầu / đứng đầu", "head of delegation / headed / led"),
    ("mua bán người / buôn bán người", "trafficking in persons / human trafficking"),
    ("quyền trẻ em", "rights of the child"),
    ("bình đẳng giới", "gender equality"),
    ("tự do ngôn luận / tự do báo chí", "freedom of expression / freedom of the press"),
    ("tự do tôn giáo / tín ngưỡng", "freedom of religion / belief"),
    ("dân tộc thiểu số", "ethnic minorities"),
    ("người khuyết tật", "persons with disabilities"),
    ("cơ quan nhân quyền quốc gia", "national human rights institution / NHRI"),
    ("nhân quyền / quyền con người", "human rights"),
    # The UPR process, as the Working Group reports describe it.
    ("phái đoàn / đoàn đại biểu / đoàn", "delegation"),
    ("nhóm troika / nhóm báo cáo viên", "troika / rapporteurs"),
    ("phát biểu / tuyên bố", "statement / statements / took the floor / speak / speaking / spoke"),
    ("thành viên", "members / member / composed"),
    ("phiên rà soát / rà soát / đánh giá", "review / examined"),
    ("phiên họp / khóa họp / khóa / kỳ họp", "session / meeting"),
    ("thông qua", "adopted / adoption / endorsed"),
    ("nộp / đệ trình / trình", "submit / submitted / presented"),
    ("bãi bỏ / xóa bỏ", "abolish / abolished / abolition / eliminate / elimination"),
    ("thành lập", "establish / established / establishment / set up"),
    ("chuyến thăm / thăm / đến thăm", "visit / visits / visited"),
    ("nhận / nhận được / tiếp nhận", "receive / received"),
    ("bảo đảm", "ensure / guarantee"),
    ("bảo vệ", "protect / protection"),
    ("thúc đẩy", "promote / promotion"),
    ("thực hiện / triển khai", "implementation / implement / implementing / implemented"),
    ("tiến bộ / tiến triển / kết quả", "progress / achievements"),
    ("thách thức / khó khăn", "challenges / difficulties / constraints"),
    ("cam kết", "commitment / pledge / committed"),
    ("câu hỏi", "questions"),
    ("Bộ trưởng", "Minister"),
    ("Thứ trưởng", "Deputy Minister / Vice-Minister"),
    ("Bộ Ngoại giao", "Ministry of Foreign Affairs"),
    ("Bộ Công an", "Ministry of Public Security"),
    ("Đại sứ / Trưởng Phái đoàn thường trực", "Ambassador / Permanent Representative"),
    ("Chính phủ", "Government"),
    ("Thủ tướng", "Prime Minister"),
    ("Quốc hội", "National Assembly / Parliament"),
    ("Liên hợp quốc", "United Nations / UN"),
    ("Cao ủy Nhân quyền", "High Commissioner for Human Rights / OHCHR"),
    ("cộng đồng quốc tế", "international community"),
    ("xã hội dân sự", "civil society"),
    ("tổ chức phi chính phủ", "non-governmental organizations / NGOs"),
    ("hợp tác quốc tế / hợp tác", "cooperation"),
    ("hỗ trợ kỹ thuật", "technical assistance"),
    ("thủ tục đặc biệt", "special procedures"),
    ("Báo cáo viên đặc biệt", "Special Rapporteur"),
    ("lời mời thường trực", "standing invitation"),
    ("cơ quan điều ước / ủy ban công ước", "treaty bodies"),
    # Law and institutions.
    ("Hiến pháp", "Constitution"),
    ("luật / pháp luật / văn bản pháp luật", "law / laws / legislation / act"),
    ("sửa đổi", "amended / amendment / revised"),
    ("ban hành", "enacted / promulgated / passed"),
    ("nghị định", "decree"),
    ("Bộ luật Hình sự", "Criminal Code / Penal Code"),
    ("tòa án", "court / courts"),
    ("tư pháp / cải cách tư pháp", "judicial / judiciary / justice"),
    ("cảnh sát / công an", "police"),
    ("giam giữ / tạm giam", "detention / detained"),
    ("nhà tù / trại giam", "prison / prisons"),
    ("thi hành án tử hình / hành quyết", "execution / executions"),
    ("nhục hình / trừng phạt thân thể", "corporal punishment"),
    ("Công ước", "Convention / Covenant"),
    ("Nghị định thư không bắt buộc / Nghị định thư tùy chọn", "Optional Protocol"),
    ("điều ước quốc tế", "treaty / treaties / international instruments"),
    ("Quy chế Rô-ma / Tòa án Hình sự quốc tế", "Rome Statute / International Criminal Court"),
    ("kế hoạch hành động quốc gia / kế hoạch hành động", "national plan of action / action plan"),
    ("chiến lược / chương trình", "strategy / programme / program"),
    ("chính sách", "policy / policies"),
    # UPR Info's issue themes (the recommendation database's taxonomy).
    ("phụ nữ / quyền phụ nữ", "women / women's rights"),
    ("trẻ em", "children / child"),
    ("bạo lực gia đình", "domestic violence"),
    ("bạo lực đối với phụ nữ", "violence against women"),
    ("phân biệt đối xử", "discrimination"),
    ("phân biệt chủng tộc", "racial discrimination"),
    ("giáo dục / quyền học tập", "education / right to education / school"),
    ("giáo dục nhân quyền / tập huấn", "human rights education / training"),
    ("nâng cao nhận thức", "awareness raising / awareness"),
    ("y tế / chăm sóc sức khỏe / quyền được chăm sóc sức khỏe", "health / health care / right to health"),
    ("lao động / việc làm", "labour / employment / workers"),
    ("lao động di cư / người di cư", "migrant workers / migrants"),
    ("người tị nạn / người xin tị nạn", "refugees / asylum-seekers"),
    ("người dân tộc bản địa / người bản địa", "indigenous peoples"),
    ("nghèo / giảm nghèo / đói nghèo", "poverty / poverty reduction"),
    ("phát triển / phát triển kinh tế", "development / economic growth"),
    ("an sinh xã hội", "social security / social protection / social welfare"),
    ("lương thực / an ninh lương thực", "food / food security / right to food"),
    ("nhà ở", "housing / right to housing"),
    ("nước sạch", "water / right to water"),
    ("đất đai", "land / right to land"),
    ("môi trường", "environment"),
    ("quyền kinh tế, xã hội và văn hóa", "economic, social and cultural rights"),
    ("quyền dân sự và chính trị", "civil and political rights"),
    ("tự do lập hội / tự do hội họp", "freedom of association / peaceful assembly"),
    ("tự do đi lại", "freedom of movement"),
    ("người bảo vệ nhân quyền", "human rights defenders"),
    ("bầu cử / tổng tuyển cử", "elections / election"),
    ("tham nhũng / phòng chống tham nhũng", "corruption / anti-corruption"),
    ("cưỡng bức mất tích", "enforced disappearance / enforced disappearances"),
    ("hành quyết ngoài vòng pháp luật", "extrajudicial executions"),
    ("người di tản trong nước", "internally displaced persons"),
    ("xu hướng tính dục / bản dạng giới", "sexual orientation / gender identity"),
    ("chống khủng bố", "counter-terrorism / terrorism"),
    ("an ninh / trật tự an toàn xã hội", "security / public security"),
    ("nạn nhân", "victims / victim"),
    ("nhóm dễ bị tổn thương", "vulnerable groups"),
    ("gia đình", "family / families"),
    ("người cao tuổi", "elderly / older persons"),
    ("dân số / người dân", "population / people"),
    ("tỷ lệ / phần trăm", "rate / per cent / percentage"),
    # Vietnamese news about the UPR.
    ("hội thảo / tọa đàm", "workshop / seminar"),
    ("hội nghị", "conference / meeting"),
    ("chủ trì", "chaired / presided"),
    ("phỏng vấn", "interview"),
)


def _variants(side: str) -> list[str]:
    return [fold(v.strip()) for v in side.split(" / ") if v.strip()]


def _mentions(text: str, variant: str) -> bool:
    # Word-boundary containment on folded text ("chu ky ii" must not match "chu ky iii").
    return f" {variant} " in f" {text} " or f" {variant}s " in f" {text} "


def terms_in(question: str) -> list[tuple[str, str]]:
    """Glossary pairs one of whose sides the question mentions."""
    folded = " ".join("".join(ch if ch.isalnum() else " " for ch in fold(question)).split())
    return [(vi, en) for vi, en in TERMS if any(_mentions(folded, v) for v in _variants(vi) + _variants(en))]


def expand(question: str) -> str:
    """The question plus both languages' forms of the UPR terms it uses, for matching
    sentences of sources written in the other language."""
    extra = [v.strip() for vi, en in terms_in(question) for side in (vi, en) for v in side.split(" / ")]
    return " ".join([question, *extra])


MAX_PROMPT_PAIRS = 5  # glossary lines in the prompt: each costs tokens before the first word


def _plain(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(text)).split())


def glossary_for(question: str, texts: list[str]) -> list[tuple[str, str]]:
    """(Vietnamese, English) for each glossary term the question uses in one language and the
    texts in the other, as each spells it ("trưởng đoàn", "headed"): what the model needs to
    match the question to sources in the other language, in as few tokens as possible."""
    asked, shown = _plain(question), _plain(" ".join(texts))
    out: list[tuple[str, str]] = []
    for vi, en in TERMS:
        vi_forms, en_forms = [v.strip() for v in vi.split(" / ")], [v.strip() for v in en.split(" / ")]
        for mine, theirs, vi_first in ((vi_forms, en_forms, True), (en_forms, vi_forms, False)):
            said = next((v for v in mine if _mentions(asked, _plain(v))), None)
            seen = next((v for v in theirs if _mentions(shown, _plain(v))), None)
            if said and seen:
                out.append((said, seen) if vi_first else (seen, said))
                break
    return out[:MAX_PROMPT_PAIRS]
