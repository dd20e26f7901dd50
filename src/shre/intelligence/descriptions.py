"""What each document category looks like, in English and German: the zero-shot
classifier compares a document's embedding with these. They describe the kind of
document (its title, its parties, its typical lines), not any one document."""

from __future__ import annotations

from collections.abc import Mapping

DESCRIPTIONS: Mapping[str, tuple[str, ...]] = {
    "contract": (
        "Employment contract between the employer and the employee: start date, job title,"
        " working hours, salary, holidays, probation period and notice period, signed by"
        " both parties.",
        "Agreement or amendment to the terms of employment: offer letter, fixed-term"
        " contract, extension, settlement agreement, non-disclosure agreement.",
        "This agreement is made between the company and the employee. The parties agree"
        " to the following terms and conditions. Signature of employer and employee.",
        "Arbeitsvertrag zwischen Arbeitgeber und Arbeitnehmer: Beginn, Tätigkeit,"
        " Arbeitszeit, Vergütung, Urlaub, Probezeit und Kündigungsfristen.",
        "Befristeter Arbeitsvertrag, Änderungsvertrag, Aufhebungsvertrag,"
        " Verschwiegenheitsvereinbarung, Zusatzvereinbarung zum Arbeitsvertrag.",
        "Zwischen der Gesellschaft und Herrn oder Frau wird folgender Vertrag geschlossen."
        " Unterschrift Arbeitgeber, Unterschrift Arbeitnehmer.",
    ),
    "identity": (
        "Identity document: passport, national identity card, driving licence or residence"
        " permit with surname, given names, date of birth, nationality, document number"
        " and date of expiry.",
        "Passport bio page with machine readable zone, place of birth, sex, date of issue,"
        " issuing authority.",
        "Residence permit, work permit, social security card, permanent resident card.",
        "Personalausweis, Reisepass, Führerschein oder Aufenthaltstitel: Name, Vornamen,"
        " Geburtstag, Geburtsort, Staatsangehörigkeit, gültig bis, Behörde.",
        "Ausweisdokument mit Lichtbild, Ausweisnummer, Ausstellungsdatum und Ablaufdatum.",
    ),
    "payslip": (
        "Payslip or salary statement for the pay period: gross pay, deductions, income tax,"
        " social security, net pay paid to the bank account.",
        "Earnings statement, pay stub: hours, rate, overtime, bonus, year to date totals,"
        " net amount.",
        "Monthly payroll statement of an employee: basic salary, allowances, national"
        " insurance, pension contribution, take-home pay.",
        "Gehaltsabrechnung, Lohnabrechnung, Entgeltabrechnung für den Monat: Bruttobezüge,"
        " Lohnsteuer, Solidaritätszuschlag, Kirchensteuer, Sozialversicherung,"
        " Nettoverdienst, Auszahlungsbetrag.",
        "Abrechnung der Brutto-Netto-Bezüge mit Krankenversicherung, Rentenversicherung,"
        " Arbeitslosenversicherung und Pflegeversicherung.",
    ),
    "tax": (
        "Tax document: annual tax statement, wage and tax statement, tax return, tax"
        " assessment notice from the tax office, tax identification number.",
        "Form W-2, W-4, P60, P45, P11D: taxable income, tax withheld for the tax year.",
        "Certificate of income tax deducted, tax code notice, tax residency certificate,"
        " withholding certificate, end of year certificate of pay and tax.",
        "Lohnsteuerbescheinigung, Steuerbescheid des Finanzamts, Einkommensteuererklärung,"
        " steuerliche Identifikationsnummer, Steuerklasse für das Kalenderjahr.",
        "Ausdruck der elektronischen Lohnsteuerbescheinigung mit einbehaltener Lohnsteuer,"
        " Solidaritätszuschlag und Kirchensteuer für das Jahr.",
    ),
    "certificate": (
        "Certificate or diploma: degree, qualification, training course completed,"
        " professional certification awarded to the holder.",
        "This is to certify that the candidate has successfully completed the course and"
        " passed the examination. Certificate of attendance, first aid, language level.",
        "Reference letter or certificate of employment confirming the period of service,"
        " experience certificate.",
        "Training certificate: first aid, fire warden, forklift operator, food hygiene,"
        " language test result, university degree certificate.",
        "Zeugnis, Urkunde oder Zertifikat: Abschluss, Prüfung bestanden, Weiterbildung,"
        " Teilnahmebescheinigung, Schulung, Berufsabschluss.",
        "Arbeitszeugnis über Tätigkeit und Leistung, Bescheinigung über die erfolgreiche"
        " Teilnahme am Lehrgang.",
    ),
    "performance": (
        "Performance review or appraisal of an employee: goals and objectives, ratings,"
        " strengths, areas for improvement, manager comments, development plan.",
        "Annual review meeting notes, feedback, performance improvement plan, written"
        " warning about conduct or performance.",
        "Mitarbeitergespräch, Leistungsbeurteilung, Zielvereinbarung: Ziele, Bewertung,"
        " Stärken, Entwicklungsbedarf, Feedback der Führungskraft.",
        "Jahresgespräch, Beurteilungsbogen, Abmahnung, Protokoll zum Leistungsgespräch.",
    ),
    "medical": (
        "Medical document: doctor's note, sick note, certificate of incapacity for work,"
        " fit note, diagnosis, hospital letter, occupational health assessment.",
        "The patient was examined and is unfit for work from to. Physician, clinic,"
        " vaccination record, medical fitness certificate.",
        "Return to work clearance, maternity certificate, occupational health report,"
        " hospital discharge summary, health assessment before employment.",
        "Arbeitsunfähigkeitsbescheinigung, ärztliches Attest, Krankmeldung,"
        " Krankenhausbericht, betriebsärztliche Untersuchung, Diagnose, Impfnachweis.",
        "Der Patient ist voraussichtlich arbeitsunfähig bis. Arzt, Praxis, Krankenkasse.",
    ),
    "policy": (
        "Company policy or handbook: rules and procedures that apply to all employees,"
        " code of conduct, data protection, IT security, travel, remote work policy.",
        "Policy document: purpose, scope, responsibilities, procedure, version, approved"
        " by, effective date, review date.",
        "Privacy notice for employees, acknowledgement that the employee has read the"
        " policies, health and safety statement, fire safety regulations.",
        "Betriebsvereinbarung, Richtlinie, Dienstanweisung, Verhaltenskodex,"
        " Mitarbeiterhandbuch: Geltungsbereich, Zweck, Regelungen, Inkrafttreten.",
        "Unternehmensrichtlinie zu Datenschutz, IT-Sicherheit, Reisekosten, Homeoffice"
        " und Arbeitszeit für alle Beschäftigten.",
    ),
    "other": (
        "General correspondence or form about an employee that is not a contract, ID,"
        " payslip, tax form, certificate, review, medical note or policy.",
        "Change of address form, bank details form, emergency contact form, name change"
        " notification, leave request, parental leave request.",
        "Receipt, invoice, expense claim, taxi or fuel receipt, hotel bill, flight booking"
        " confirmation, equipment or laptop handover, parking permit.",
        "Cover email, meeting notes, onboarding checklist, relocation letter, newsletter.",
        "Sonstiges Schreiben oder Formular: Adressänderung, Änderung der Bankverbindung,"
        " Notfallkontakt, Urlaubsantrag, Elternzeitantrag.",
        "Quittung, Rechnung, Reisekostenabrechnung, Übergabeprotokoll für Arbeitsmittel,"
        " Anschreiben, E-Mail, Protokoll einer Besprechung.",
    ),
}
