"""The seed articles as a news index would hold them: dates, sources and URLs, one
syndicated copy, and a second Persian report, for the reader's page tests.

003's date is not in its text as a full date («یکشنبه ۲۹ بهمن ماه», no year);
the year follows from the article (a year after the attack of Bahman 1401):
29 Bahman 1402 is Sunday 2024-02-18. The copy of 002 is how a second wire
would re-post it: another dateline and source, the closing paragraph cut.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from search.documents import Document, iter_documents

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

META = {
    "000_7ecd846baa03e493": dict(date=date(2024, 1, 10), source="Purna Warta"),
    "001_7096a94d9b5d90fd": dict(date=date(2023, 11, 5), source="Pars Today"),
    "002_2e6686a3ccd039ae": dict(date=date(2024, 2, 16), source="Purna Warta",
                                 url="https://example.org/purnawarta/iran-rusia"),
    "003_b8878e3335182e53": dict(date=date(2024, 2, 18), source="آران نیوز",
                                 url="https://example.org/aran/1402-11-29"),
    "004_0b9ad2877bc8c180": dict(date=date(2024, 6, 30), source="Pars Today"),
}
COPY_ID = "002_copy_wire"
PERSIAN_ID = "fa_trade_1402"

PERSIAN_TEXT = """وزیران اقتصاد ایران و جمهوری آذربایجان در باکو درباره گسترش مناسبات تجاری دو کشور گفت‌وگو کردند.

به گزارش خبرگزاری‌ها، دو طرف بر افزایش حجم مبادلات، تکمیل کریدور ترانزیتی شمال به جنوب و همکاری در بخش انرژی تأکید کردند.

وزیر اقتصاد ایران گفت که مناسبات تهران و باکو رو به جلو است و بازگشایی سفارت جمهوری آذربایجان در تهران این روند را سرعت می‌بخشد.

کارشناسان می‌گویند پیوندهای تاریخی و فرهنگی دو کشور زمینه همکاری‌های منطقه‌ای تازه را فراهم کرده است."""


def seed_documents() -> list[Document]:
    return [d for d in iter_documents([SEEDS]) if isinstance(d, Document)]


def reader_documents() -> list[Document]:
    docs = []
    for doc in seed_documents():
        lang = "fa" if doc.id.startswith("003") else "id"
        docs.append(replace(doc, lang=lang, **META[doc.id]))
    original = next(d for d in docs if d.id == "002_2e6686a3ccd039ae")
    paragraphs = original.text.split("\n\n")
    copy_text = "\n\n".join(paragraphs[:-1]).replace(
        "Tehran, Purna Warta Sekretaris", "Jakarta, Kantor Berita Nusantara – Sekretaris")
    docs.append(Document(id=COPY_ID, title=original.title, text=copy_text, lang="id",
                         date=date(2024, 2, 17), source="Kantor Berita Nusantara"))
    docs.append(Document(id=PERSIAN_ID, title="گسترش مناسبات تجاری ایران و جمهوری آذربایجان",
                         text=PERSIAN_TEXT, lang="fa", date=date(2024, 3, 5), source="آران نیوز"))
    return docs
