#!/usr/bin/env bash
# Follows docs/getting-started.md the way a new user does, in an empty folder with an empty home directory:
# clones this repository's committed HEAD to $HOME/src/guardedai, runs step 1's commands as written (the `dotnet pack`
# marked "in the clone" there, the others in the empty folder), then takes every C# block in order and does what the
# sentence before it says — "Replace `Program.cs` with", "Append to `Program.cs`", "Create `ISupportBot.cs`" — builds,
# runs, and checks that each step's result shows. Exits non-zero when a step does not work.
# Usage: tools/follow-getting-started.sh [work-dir]   (needs git, python3 and the .NET 10 SDK; other NuGet packages
# come from the user's package cache, or nuget.org on a fresh machine)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d -t guardedai-getting-started-XXXXXX)}"
# A package cache of its own, so the GuardedAI packages packed here are the ones restored (never a copy cached by an
# earlier run) and nothing is left in the user's cache; other packages come from the user's cache when it has them.
shared_cache="$(dotnet nuget locals global-packages --list 2>/dev/null | sed 's/^global-packages: //')"
if ls -d "$shared_cache"/guardedai*/0.1.0 >/dev/null 2>&1; then
  echo "The package cache $shared_cache holds GuardedAI 0.1.0; it would stand in for the packages packed here. Remove it first."; exit 1
fi
export NUGET_PACKAGES="$work/packages" NUGET_FALLBACK_PACKAGES="$shared_cache"
export HOME="$work/home" DOTNET_CLI_HOME="$work/home" DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
mkdir -p "$HOME/src" "$work/app"
git clone -q "$repo" "$HOME/src/guardedai"
page="$HOME/src/guardedai/docs/getting-started.md"

# Step 1: its shell blocks, as written.
python3 - "$page" > "$work/step1.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split('\n## 1.', 1)[1].split('\n## 2.', 1)[0]
for block in re.findall(r'^```bash\n(.*?)^```', section, re.S | re.M):
    print('\0' + block, end='')
PY
while IFS= read -r -d '' block; do
  [ -z "$block" ] && continue
  if grep -q '# in the clone' <<<"$block"; then dir="$HOME/src/guardedai"; else dir="$work/app"; fi
  echo "\$ (in ${dir#$work/}) $(head -1 <<<"$block")…"
  (cd "$dir" && bash -euo pipefail -c "$block" > "$work/step1.log" 2>&1) || { cat "$work/step1.log"; echo "FAILED: step 1"; exit 1; }
done < <(tail -c +2 "$work/step1.txt"; printf '\0')

# Steps 2–6: every C# block where the sentence before it says.
cd "$work/app/MyApp"
python3 - "$page" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split('\n')
i, paragraph = 0, ''
while i < len(lines):
    m = re.match(r'^```(\S*)', lines[i])
    if m:
        j = i + 1
        while not lines[j].startswith('```'): j += 1
        body = '\n'.join(lines[i + 1:j]) + '\n'
        if m.group(1) == 'csharp':
            step = re.search(r'(Replace|Append to|Create) `([^`]+)`', paragraph)
            if not step: sys.exit(f'getting-started.md:{i + 1}: no sentence before this block says where it goes: {paragraph!r}')
            with open(step.group(2), 'a' if step.group(1) == 'Append to' else 'w') as f:
                f.write(('\n' if step.group(1) == 'Append to' else '') + body)
            print(f'getting-started.md:{i + 1}: {step.group(1)} {step.group(2)}')
        i, paragraph = j + 1, ''
        continue
    paragraph = (paragraph + ' ' + lines[i]).strip() if lines[i].strip() else paragraph
    i += 1
PY
build="$(dotnet build 2>&1)" || { echo "$build"; echo "FAILED: dotnet build"; exit 1; }
run="$(dotnet run --no-build 2>&1)" || { echo "$run"; echo "FAILED: dotnet run"; exit 1; }
echo "$build" | grep -E 'warning GAI' | sed 's| \[.*||' | sort -u
echo "$run"
check() { grep -qE "$2" <<<"$3" || { echo "FAILED: step $1 — expected /$2/"; exit 1; }; }
check "2 (a guarded call and a denial)" "^#4 denied: Budget 'my-app' denied the call" "$run"
check "3 (a budget per customer)" "^acme #3 denied: Budget 'tenant:acme'" "$run"
check "4 (what was spent)" "^Today: [0-9]+ calls" "$run"
check "5 (a typed client)" "^Typed client: " "$run"
check "6 (the build catches an unguarded call)" "warning GAI001: 'IChatClient.GetResponseAsync' .* 'raw' is a plain SimulatedChatClient" "$build"
echo "OK: every step of docs/getting-started.md worked in $work"
