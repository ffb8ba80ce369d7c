#!/usr/bin/env bash
# While nothing is deployed, the schema is one initial migration regenerated from the
# models. Run after changing a model: ./scripts/regen-migration.sh
# (Once a release is deployed, every change gets a migration of its own instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*_initial_schema.py
DATABASE_URL="sqlite:///$tmp/regen.sqlite3" ZC_ENV=development \
  .venv/bin/flask --app wsgi db migrate -m "initial schema" >/dev/null 2>&1 \
  || { DATABASE_URL="sqlite:///$tmp/regen.sqlite3" .venv/bin/flask --app wsgi db migrate -m "initial schema"; exit 1; }
f=$(ls migrations/versions/*_initial_schema.py)
sed -i 's/^import sqlalchemy as sa$/import sqlalchemy as sa\nimport zhongchuang.models.base/; s/astext_type=Text()/astext_type=sa.Text()/g' "$f"
rm -rf "$tmp"
echo "regenerated $f"
