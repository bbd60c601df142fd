#!/usr/bin/env bash
# Refresh the translation catalogue: extract the Danish msgids from portfolio/ and templates/,
# merge them into the English catalogue, and compile it. The compiled .mo is committed (the wheel
# carries it; there is no build step), so run this and commit both .po and .mo after translating.
#
#   scripts/update_translations.sh            extract + update + compile
#   scripts/update_translations.sh --compile  compile only (after editing the .po by hand)
#
# New or changed strings arrive untranslated in portfolio/translations/en/LC_MESSAGES/messages.po
# (no fuzzy guesses: they were more often wrong than helpful); translate them, then run --compile.
# tests/test_i18n.py names every untranslated string and fails until then.
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
if [ ! -x "$PYBABEL" ]; then PYBABEL="pybabel"; fi

DIR="portfolio/translations"
POT="$DIR/messages.pot"
LOCALES=(en)

if [ "${1:-}" != "--compile" ]; then
  # Keywords: Babel's defaults (_, gettext, ngettext, ...) plus the lazy ones the forms and
  # domain labels use. tests/test_i18n.py extracts with the same keywords; keep them in step.
  # No locations and sorted output, so the catalogue only changes when the strings do.
  "$PYBABEL" -q extract -F babel.cfg \
    -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
    --no-location --sort-output --no-wrap --omit-header \
    -o "$POT" .
  for lang in "${LOCALES[@]}"; do
    if [ -f "$DIR/$lang/LC_MESSAGES/messages.po" ]; then
      "$PYBABEL" -q update -i "$POT" -d "$DIR" -l "$lang" --no-wrap --ignore-obsolete \
        --ignore-pot-creation-date --no-fuzzy-matching
    else
      "$PYBABEL" -q init -i "$POT" -d "$DIR" -l "$lang" --no-wrap
    fi
  done
fi

"$PYBABEL" compile -d "$DIR" --statistics
