"""The SharePoint sheet's columns: canonical field names and the Danish headers the sheet uses."""

from __future__ import annotations

# In the sheet's own order. Export writes these headers; import recognises them (and synonyms).
SHEET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_number", "Sagsnr."),
    ("name", "Projektnavn"),
    ("scope", "Projekttype"),
    ("kind", "Strategisk/operationelt"),
    ("department", "Afdeling"),
    ("process_owner", "Procesejer"),
    ("project_lead", "Projektleder"),
    ("phase", "Fase"),
    ("status", "Status"),
    ("status_comment", "Statuskommentar"),
    ("start_date", "Startdato"),
    ("end_date", "Slutdato"),
    ("baseline_end_date", "Oprindelig slutdato"),
    ("budget_dkk", "Budget (kr.)"),
    ("description", "Beskrivelse"),
    ("link", "Link"),
)

SHEET_TITLE = "IT-projektportefølje"
SHEET_NAME = "Portefølje"

# The sheet writes enum values as Danish words; canonical values are used in code.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "scope": {
        "national": "Nationalt skal-projekt",
        "municipal": "Fælles for hele kommunen",
        "department": "Afdelingsprojekt",
    },
    "kind": {"strategic": "Strategisk", "operational": "Operationelt"},
    "phase": {
        "idea": "Idé",
        "analysis": "Analyse",
        "procurement": "Anskaffelse",
        "implementation": "Gennemførelse",
        "benefits": "Gevinstrealisering",
        "completed": "Afsluttet",
        "paused": "Sat i bero",
        "stopped": "Stoppet",
    },
    "status": {"green": "Grøn", "yellow": "Gul", "red": "Rød"},
}

# Fields of the project (portfolio/projects/models.py) the sheet leaves out on purpose. Every
# other field needs a column above; tests/test_projects_shape.py checks that, since importers/
# may not import portfolio.
NOT_IN_SHEET: frozenset[str] = frozenset()

FIELDS: tuple[str, ...] = tuple(field for field, _header in SHEET_COLUMNS)
HEADERS: dict[str, str] = dict(SHEET_COLUMNS)

# Headers other sheets use for the same columns (Danish and English). Matching ignores case,
# spaces, line breaks and punctuation, and folds æ/ø/å, so "Sagsnr." also covers "SAGS NR".
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "case_number": (
        "Sagsnr.",
        "Sagsnummer",
        "Sags-id",
        "Journalnr.",
        "Journalnummer",
        "J.nr.",
        "Case no.",
        "Case number",
        "Case ID",
    ),
    "name": (
        "Projekt",
        "Projektnavn",
        "Projekttitel",
        "Navn",
        "Titel",
        "Project",
        "Project name",
        "Project title",
        "Name",
        "Title",
    ),
    "scope": ("Projekttype", "Type", "Scope", "Project type"),
    "kind": (
        "Strategisk/operationelt",
        "Strategisk eller operationelt",
        "Kategori",
        "Kind",
        "Category",
        "Strategic/operational",
    ),
    "department": ("Afdeling", "Forvaltning", "Ejerafdeling", "Department", "Directorate"),
    "process_owner": (
        "Procesejer",
        "Projektejer",
        "Ejer",
        "Process owner",
        "Project owner",
        "Owner",
    ),
    "project_lead": (
        "Projektleder",
        "Projektansvarlig",
        "Project manager",
        "Project lead",
        "Project leader",
    ),
    "phase": ("Fase", "Projektfase", "Phase", "Project phase", "Stage"),
    "status": ("Status", "Samlet status", "Trafiklys", "RAG", "RAG status", "Overall status"),
    "status_comment": (
        "Statuskommentar",
        "Kommentar",
        "Kommentarer",
        "Bemærkninger",
        "Bemærkning",
        "Status comment",
        "Comment",
        "Comments",
    ),
    "start_date": ("Startdato", "Start", "Projektstart", "Start date"),
    "end_date": (
        "Slutdato",
        "Slut",
        "Forventet slutdato",
        "Forventet afslutning",
        "End date",
        "End",
        "Expected end date",
    ),
    "baseline_end_date": (
        "Oprindelig slutdato",
        "Baseline slutdato",
        "Baseline",
        "Baseline end date",
        "Original end date",
    ),
    "budget_dkk": (
        "Budget (kr.)",
        "Budget",
        "Budget DKK",
        "Samlet budget",
        "Projektbudget",
        "Total budget",
    ),
    "description": ("Beskrivelse", "Projektbeskrivelse", "Description"),
    "link": ("Link", "Links", "Procesark", "Link til procesark", "URL", "Process sheet"),
}

# Enum words other sheets use, besides the Danish labels and the canonical values themselves.
VALUE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "scope": {
        "national": (
            "Nationalt",
            "National",
            "Nationalt projekt",
            "Skal-projekt",
            "Fællesoffentligt",
            "Fælleskommunalt",
        ),
        "municipal": (
            "Fælles",
            "Tværgående",
            "Hele kommunen",
            "Kommunefælles",
            "Municipality-wide",
        ),
        "department": ("Afdeling", "Lokal", "Lokalt", "Departmental", "Local"),
    },
    "kind": {
        "strategic": ("Strategic",),
        "operational": ("Operationel", "Operativt", "Operativ", "Drift", "Operational"),
    },
    "phase": {
        "idea": ("Ide", "Idéfase", "Idea"),
        "analysis": ("Analysefase", "Analysis"),
        "procurement": ("Udbud", "Indkøb", "Procurement"),
        "implementation": (
            "Implementering",
            "Udrulning",
            "Gennemførsel",
            "Implementation",
            "Execution",
        ),
        "benefits": ("Realisering", "Benefits", "Benefits realisation", "Benefits realization"),
        "completed": ("Lukket", "Færdig", "Completed", "Closed", "Done"),
        "paused": ("På pause", "Pause", "Berostillet", "Paused", "On hold"),
        "stopped": ("Annulleret", "Aflyst", "Stopped", "Cancelled", "Canceled"),
    },
    "status": {
        # The five-step UK scale folds into three: Amber/Green is yellow, Amber/Red is red.
        "green": ("G", "Green", "Gron", "🟢"),
        "yellow": ("Y", "A", "Yellow", "Amber", "Amber/Green", "Green/Amber", "🟡", "🟠"),
        "red": ("R", "Red", "Rod", "Amber/Red", "Red/Amber", "🔴"),
    },
}
