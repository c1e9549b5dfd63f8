#!/usr/bin/env bash
# Copies the student notebooks (release/<id>/<id>.ipynb) into a work folder, default
# meus_notebooks/. A notebook already there is the student's work: it is never replaced,
# so new lessons arrive after a `git pull` without touching the ones in progress.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-meus_notebooks}"
mkdir -p "$dest"
for nb in release/*/*.ipynb; do
  target="$dest/$(basename "$nb")"
  if [ ! -e "$target" ]; then
    cp "$nb" "$target"
    echo "novo: $target"
  fi
done
