#!/usr/bin/env bash
# Measures the GuardedAI analyzers' share of build time on a generated project with 1,000 call sites.
# Usage: tools/bench-analyzers.sh [RUNS]   (from the repository root; writes nothing inside the repository)
set -euo pipefail
runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/guardedai-callsites}

dotnet build "$root/src/Analyzers/GuardedAI.Analyzers.csproj" -c Release -m:1 -nologo -v q
analyzer="$root/src/Analyzers/bin/Release/netstandard2.0/GuardedAI.Analyzers.dll"
"$root/tools/gen-callsites.sh" "$work" 1000
dotnet restore "$work/CallSites.csproj" -nologo -v q

time_build() { # $1 = extra property
  local start end
  dotnet build-server shutdown > /dev/null 2>&1 || true   # every run starts with a cold compiler server
  start=$(date +%s.%N)
  dotnet build "$work/CallSites.csproj" --no-restore --no-incremental -m:1 -nologo -v q $1 > /dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

echo "run,without_analyzer_s,with_analyzer_s"
for ((i = 1; i <= runs; i++)); do
  without=$(time_build "")
  with=$(time_build "-p:GuardedAIAnalyzer=$analyzer")
  echo "$i,$without,$with"
done

echo "--- analyzer execution time reported by the compiler (-p:ReportAnalyzer=true) ---"
dotnet build "$work/CallSites.csproj" --no-restore --no-incremental -m:1 -nologo -v d \
  -p:ReportAnalyzer=true "-p:GuardedAIAnalyzer=$analyzer" 2>&1 \
  | grep -v -- "/noconfig" \
  | grep -E "Total analyzer execution time|GuardedAI\.Analyzers|Microsoft\.CodeAnalysis\.(CSharp\.)?NetAnalyzers, " \
  | sed 's/^ *//' | sort -u
echo "--- GAI001 warnings on the generated project ---"
dotnet build "$work/CallSites.csproj" --no-restore --no-incremental -m:1 -nologo -v q "-p:GuardedAIAnalyzer=$analyzer" 2>&1 \
  | grep "warning GAI001" | sort -u | wc -l
