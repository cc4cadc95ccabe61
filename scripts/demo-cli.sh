#!/usr/bin/env bash
# A walk through labgate's admin CLI on a throwaway SQLite database in var/demo-cli/.
# Every command is real and prints what it did; a refusal is shown as a refusal.
#   bash scripts/demo-cli.sh        (after `make venv`; `make demo` runs it when there is no hub demo)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

labgate=${LABGATE:-.venv/bin/labgate}
[ -x "$labgate" ] || { echo "No $labgate: run 'make venv' first." >&2; exit 1; }

work=var/demo-cli
rm -rf "$work"
mkdir -p "$work"
export LABGATE_DB="sqlite:///$PWD/$work/labgate.sqlite"
export LABGATE_DATA_ROOT="$PWD/$work/data"
unset LABGATE_ACTOR

# Dates relative to today, so that the walkthrough stays valid as time passes.
day() { date -u -d "$1" +%F; }
today=$(day today)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ labgate %s\n' "$*"; "$labgate" "$@"; }
# A command labgate must refuse: the walkthrough fails if it is accepted.
refused() {
  printf '$ labgate %s\n' "$*"
  if "$labgate" "$@"; then
    echo "demo-cli: labgate accepted a command it must refuse" >&2
    exit 1
  fi
  echo "(refused, as it should be)"
}

step "A fresh policy database: $LABGATE_DB"
run db upgrade

step "An institution, authorised for the researcher scheme (INST-1)"
run institution create au --name "Aarhus University" --country DK
run institution authorise au --scheme researcher --from "$(day '30 days ago')" \
  --until "$(day '2 years')" --security-policy AU-ISMS-2026 --case J-2026-001

step "A researcher and her personal authorisation (AUTH-1)"
run person create anna --name "Anna Jensen" --institution au
run authorisation grant anna --until "$(day '1 year')" --case J-2026-002
run authorisation list --person anna

step "A research project with its legal basis and deletion deadline (PROJ-1)"
run project create fam --title "Family and income" --scheme researcher --owner au \
  --purpose "Income mobility across generations." --legal-basis "6(1)(e)" --dpia DPIA-17 \
  --starts "$today" --access-ends "$(day '1 year')" --deletion-deadline "$(day '15 months')"
run membership add fam anna --role researcher
run project list

step "A register, with an identifier, a particularly identifying and a protection variable"
run dataset create bef --title "Population register" --source "Statistics Denmark" \
  --variable pnr:string:identifier --variable year:int:year --variable kom:int \
  --variable postcode:string:identifying --variable protected:bool:protected --years 2019-2024

step "Grants at variable and year level (DATA-4); postcode needs a written justification (DATA-5)"
run grant create fam bef --variables pnr,year,kom --years 2020-2022
refused grant create fam bef --variables pnr,postcode --years 2021
run grant create fam bef --variables pnr,postcode --years 2021 \
  --justification "Neighbourhood effects need the postcode."
run grant list fam

step "The audit log: every write above, hash-chained (LOG-1)"
run audit verify
run audit search --type grant.create
run audit search --outcome denied

printf '\nDone. The database is %s; try: LABGATE_DB=%s .venv/bin/labgate --help\n' \
  "$work/labgate.sqlite" "$LABGATE_DB"
