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
