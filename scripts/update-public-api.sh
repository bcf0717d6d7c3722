#!/usr/bin/env bash
# Rewrites PublicAPI.Unshipped.txt of every shipped library from its current public surface. The build fails on any
# public API change that these files do not declare (RS0016/RS0017); run this only when the change is intended, and
# review the diff of the .txt files like code.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in src/*/; do
  [ -f "$project/PublicAPI.Unshipped.txt" ] || continue
  csproj=$(ls "$project"*.csproj)
  printf '#nullable enable\n' > "$project/PublicAPI.Unshipped.txt"
  dotnet format analyzers "$csproj" --diagnostics RS0016 RS0017 --severity info -v q >/dev/null 2>&1 || true
  # Keep the file sorted so that a diff shows exactly what changed.
  { head -n 1 "$project/PublicAPI.Unshipped.txt"; tail -n +2 "$project/PublicAPI.Unshipped.txt" | LC_ALL=C sort -u; } > "$project/PublicAPI.Unshipped.txt.tmp"
  mv "$project/PublicAPI.Unshipped.txt.tmp" "$project/PublicAPI.Unshipped.txt"
  echo "$csproj: $(($(wc -l < "$project/PublicAPI.Unshipped.txt") - 1)) declared symbols"
done
