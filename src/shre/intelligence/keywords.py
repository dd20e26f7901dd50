"""The words that name a kind of document, in English and German: what an HR clerk looks
for first ("Lohnabrechnung", "net pay", "Date of expiry"). The MiniLM embedding reads
English; these carry German, and they come from knowing the documents, not from any
corpus, so they hold on documents no model here was trained on.

A keyword matches at the start of a word (so "arbeitsvertrag" finds "Arbeitsvertrages"),
or anywhere in one when it starts with "*" (the head of German compounds: "*richtlinie"
finds "Reisekostenrichtlinie"), case- and accent-folded ("ä" as "a", "ß" as "ss"). A
category's score is the number of its distinct keywords the text holds."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from shre.intelligence.zeroshot import softmax
from shre.policy import DOCUMENT_CATEGORIES

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "contract": (
        "employment contract", "employment agreement", "contract of employment",
        "terms and conditions of employment", "statement of main terms", "offer of employment",
        "offer letter", "pleased to offer", "probation period", "probationary period",
        "notice period", "fixed-term", "fixed term", "settlement agreement",
        "separation agreement", "non-disclosure agreement", "confidentiality agreement",
        "restrictive covenant", "non-compete", "addendum", "secondment agreement",
        "internship agreement", "contractor agreement", "the parties agree", "hereby agree",
        "shall commence", "in witness whereof",
        "arbeitsvertrag", "anstellungsvertrag", "dienstvertrag", "dienstzettel",
        "aufhebungsvertrag", "anderungsvertrag", "auflosungsvereinbarung", "zusatzvereinbarung",
        "befristeter", "befristung", "probezeit", "kundigungsfrist", "vertragsparteien",
        "verschwiegenheitsvereinbarung", "wettbewerbsverbot", "praktikumsvertrag",
        "ausbildungsvertrag", "werkstudentenvertrag", "folgender vertrag", "nachfolgend",
        "*vertrag", "agreement", "vereinbarung", "the employer", "the employee shall",
        "hours of work",
    ),
    "identity": (
        "passport", "identity card", "id card", "national identity", "driving licence",
        "driver license", "driver's license", "residence permit", "residence card",
        "permanent resident", "place of birth", "nationality", "given name", "surname",
        "date of expiry", "machine readable", "social security card", "work permit",
        "employment authorization", "visa",
        "personalausweis", "reisepass", "fuhrerschein", "aufenthaltstitel",
        "aufenthaltserlaubnis", "niederlassungserlaubnis", "staatsangehorigkeit", "geburtsort",
        "*ausweis", "identitatskarte", "auslanderausweis", "passnummer",
        "identification card", "aadhaar", "permanent account number", "eye colour", "eye color",
        "augenfarbe", "date of issue",
    ),
    "payslip": (
        "payslip", "pay slip", "salary slip", "wage slip", "pay stub", "earnings statement",
        "pay statement", "pay advice", "gross pay", "net pay", "take home", "pay period",
        "pay date", "year to date", "ytd", "total deductions", "national insurance",
        "direct deposit", "hourly rate",
        "gehaltsabrechnung", "lohnabrechnung", "entgeltabrechnung", "bezugeabrechnung",
        "verdienstabrechnung", "bruttobezug", "gesamtbrutto", "steuerbrutto", "sv-brutto",
        "nettoverdienst", "nettobezug", "auszahlungsbetrag", "uberweisungsbetrag",
        "abrechnungsmonat", "abrechnungszeitraum", "gesetzliche abzuge", "bezugsabrechnung",
        "nettolohn", "nettogehalt", "auszahlung", "lohnart", "earnings", "deductions",
    ),
    "tax": (
        "tax return", "tax year", "tax code", "tax statement", "tax certificate",
        "wage and tax", "w-2", "w-4", "1099", "p60", "p45", "p11d", "form 16", "hmrc", "irs",
        "internal revenue", "revenue service", "withholding", "taxable", "tax assessment",
        "notice of assessment", "tax residency", "tax identification", "taxpayer",
        "lohnsteuerbescheinigung", "steuerbescheid", "finanzamt", "einkommensteuererklarung",
        "einkommensteuerbescheid", "identifikationsnummer", "steuer-id", "steuerklasse",
        "steuerjahr", "veranlagung", "elstam", "lohnsteuerabzug", "steuerpflichtig",
        "tax deducted", "tax credit", "tax form", "tax office", "steuererklarung", "lohnzettel",
        "lohnausweis", "steuernummer", "steueramt", "quellensteuer", "ansassigkeit",
        "*steuerbescheinigung", "steuerermassigung", "freibetrag",
    ),
    "certificate": (
        "certificate of", "certify that", "certifies that", "hereby certified", "diploma",
        "degree", "bachelor", "master of", "awarded", "successfully completed",
        "has completed", "course", "qualification", "accreditation", "transcript",
        "reference letter", "letter of reference", "to whom it may concern",
        "zeugnis", "arbeitszeugnis", "zwischenzeugnis", "zertifikat", "urkunde",
        "teilnahmebescheinigung", "hat erfolgreich", "erfolgreich teilgenommen",
        "erfolgreich abgeschlossen", "bestanden", "lehrgang", "weiterbildung", "fortbildung",
        "schulung", "diplom", "hochschule", "studium", "abschluss", "*zeugnis", "*zertifikat",
        "*urkunde", "certificate", "certification",
        "examination", "test report", "completion", "prufung", "dienstzeugnis",
    ),
    "performance": (
        "performance review", "performance appraisal", "appraisal", "annual review",
        "mid-year review", "objectives", "meets expectations", "exceeds expectations",
        "below expectations", "strengths", "areas for improvement", "development plan",
        "performance improvement plan", "self-assessment", "competencies", "overall rating",
        "written warning", "final warning", "disciplinary",
        "mitarbeitergesprach", "jahresgesprach", "zielvereinbarung", "leistungsbeurteilung",
        "beurteilung", "zielerreichung", "entwicklungsziel", "entwicklungsmassnahme",
        "starken", "abmahnung", "feedbackgesprach", "leistungsgesprach", "kompetenzen", "kpi",
        "okr", "key result", "scorecard", "review period", "reviewer", "rating", "360",
        "probation review", "probezeitbeurteilung", "leistungsbewertung", "bewertung",
        "mitarbeiterbeurteilung", "qualifikationsgesprach", "*gesprach", "*beurteilung",
        "*bewertung", "leistungsverbesserung", "ziele",
    ),
    "medical": (
        "sick note", "fit note", "doctor", "physician", "patient", "diagnosis",
        "medical certificate", "unfit for work", "fit for work", "incapacity", "hospital",
        "clinic", "treatment", "occupational health", "vaccination", "immunisation",
        "immunization", "sick leave", "illness", "injury", "gp surgery",
        "arbeitsunfahigkeitsbescheinigung", "arbeitsunfahig", "arztlich", "arzt", "arztin",
        "attest", "krankmeldung", "krankschreibung", "diagnose", "krankenhaus", "klinik",
        "praxis", "behandlung", "betriebsarzt", "impfung", "impfnachweis", "icd-10",
        "erstbescheinigung", "folgebescheinigung", "medical", "health", "disability",
        "gesundheit", "medizinisch", "*arzt", "*arztlich",
    ),
    "policy": (
        "policy", "code of conduct", "handbook", "procedure", "guideline", "scope",
        "applies to all employees", "all employees", "effective date", "review date",
        "compliance", "data protection", "information security", "acceptable use",
        "whistleblowing", "anti-harassment", "responsibilities",
        "richtlinie", "betriebsvereinbarung", "dienstanweisung", "verhaltenskodex",
        "geltungsbereich", "inkrafttreten", "gilt fur alle", "regelungen", "handbuch",
        "arbeitsanweisung", "verfahrensanweisung", "alle beschaftigten", "alle mitarbeitenden",
        "*richtlinie", "*ordnung", "this policy", "violation", "prohibited", "privacy",
        "read and understood", "datenschutz", "kenntnisnahme", "zur kenntnis", "verstoss",
        "untersagt", "verboten",
    ),
    "other": (
        "change of address", "bank details", "expense claim", "travel expenses",
        "reimbursement", "invitation", "receipt", "acknowledgement", "parking", "equipment",
        "newsletter", "minutes",
        "adressanderung", "anschriftenanderung", "bankverbindung", "reisekosten", "spesen",
        "einladung", "quittung", "empfangsbestatigung", "ubergabeprotokoll", "parkplatz",
        "rundschreiben", "protokoll", "leave request", "emergency contact", "invoice",
        "booking", "checklist", "hotel", "flight", "name change", "relocation",
        "urlaubsantrag", "elternzeit", "notfallkontakt", "rechnung", "buchung", "checkliste",
        "namensanderung", "umzug",
    ),
}  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents: "Gültig" -> "gultig", "Maßnahme" -> "massnahme"."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    longest_first = sorted((fold(word) for word in words), key=len, reverse=True)
    starts = [re.escape(word) for word in longest_first if not word.startswith("*")]
    inside = [re.escape(word[1:]) for word in longest_first if word.startswith("*")]
    alternatives = [r"(?<!\w)(?:" + "|".join(starts) + ")"] if starts else []
    alternatives += inside
    return re.compile("|".join(alternatives))


_PATTERNS = {category: _pattern(words) for category, words in KEYWORDS.items()}


def counts(texts: Sequence[str]) -> NDArray[np.float64]:
    """(texts, categories): how many distinct keywords of each category a text holds."""
    import numpy as np

    result = np.zeros((len(texts), len(DOCUMENT_CATEGORIES)))
    for row, text in enumerate(texts):
        folded = fold(text)
        for column, category in enumerate(DOCUMENT_CATEGORIES):
            result[row, column] = len(set(_PATTERNS[category].findall(folded)))
    return result


# How sharply keyword counts become probabilities: log(1 + count) times this.
SHARPNESS = 3.0
# "other" is what names none of the rest: a text without keywords leans to it.
OTHER_BONUS = 0.5


def probabilities(texts: Sequence[str]) -> NDArray[np.float64]:
    """(texts, categories), rows summing to 1: the keyword counts as probabilities."""
    import numpy as np

    logits = SHARPNESS * np.log1p(counts(texts))
    logits[:, DOCUMENT_CATEGORIES.index("other")] += OTHER_BONUS
    return softmax(logits)
