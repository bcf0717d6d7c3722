#!/usr/bin/env bash
# The GuardedAI analyzers on a large real project that calls no model: ILSpy's ICSharpCode.Decompiler (~170k lines),
# built with the SDK compiler and -p:ReportAnalyzer=true. Two variants:
#   A  the project references no LLM library and no GuardedAI (every analyzer should bail out at compilation start);
#   B  it also references GuardedAI.Runtime (hence Microsoft.Extensions.AI.Abstractions) but calls no model.
# Usage: tools/bench-analyzers-idle.sh ILSPY_CHECKOUT [RUNS]
#   ILSPY_CHECKOUT: a checkout of github.com/icsharpcode/ILSpy (measured at f4ac761a1) holding ICSharpCode.Decompiler/
#   and ICSharpCode.Decompiler.Generators/. Writes only under $BENCH_DIR (default /tmp/guardedai-idle).
set -euo pipefail
ilspy=$(cd "${1:?ILSpy checkout}" && pwd)
runs=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-/tmp/guardedai-idle}
mkdir -p "$work"

dotnet build "$root/src/Analyzers/GuardedAI.Analyzers.csproj" -c Release -nologo -v q
dotnet build "$root/src/Runtime/GuardedAI.Runtime.csproj" -c Release -nologo -v q
analyzers="$root/src/Analyzers/bin/Release/netstandard2.0/GuardedAI.Analyzers.dll"
runtime="$root/src/Runtime/bin/Release/net10.0/GuardedAI.Runtime.dll"

# ILSpy's own source generator, and the version file its build normally writes from a template.
dotnet build "$ilspy/ICSharpCode.Decompiler.Generators" -c Release -o "$work/gen" -nologo -v q
sed -e 's/\$INSERTREVISION\$/0/g' -e 's/\$INSERT[A-Z]*\$//g' \
  "$ilspy/ICSharpCode.Decompiler/Properties/DecompilerVersionInfo.template.cs" > "$work/DecompilerVersionInfo.cs"

cat > "$work/Decompiler.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <AssemblyName>ICSharpCode.Decompiler</AssemblyName>
    <LangVersion>latest</LangVersion>
    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
    <DefineConstants>\$(DefineConstants);STEP</DefineConstants>
    <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
    <GenerateAssemblyInfo>false</GenerateAssemblyInfo>
    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
    <NoWarn>\$(NoWarn);CS0618;CS8981;CS1591;SYSLIB0050;SYSLIB0051</NoWarn>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <Compile Include="$ilspy/ICSharpCode.Decompiler/**/*.cs" Exclude="$ilspy/ICSharpCode.Decompiler/Properties/DecompilerVersionInfo.template.cs;$ilspy/ICSharpCode.Decompiler/obj/**;$ilspy/ICSharpCode.Decompiler/bin/**" />
    <Compile Include="DecompilerVersionInfo.cs" />
    <Analyzer Include="$work/gen/ICSharpCode.Decompiler.Generators.dll" />
    <Analyzer Include="$analyzers" />
    <PackageReference Include="System.Reflection.Metadata" Version="10.0.13" />
  </ItemGroup>
  <ItemGroup Condition="'\$(WithGuardedAI)' == 'true'">
    <Reference Include="$runtime" />
    <PackageReference Include="Microsoft.Extensions.AI.Abstractions" Version="10.11.0" />
  </ItemGroup>
</Project>
XML

for ((i = 1; i <= runs; i++)); do
  for variant in A B; do
    with=false; [ "$variant" = B ] && with=true
    dotnet build-server shutdown > /dev/null 2>&1 || true
    dotnet build "$work/Decompiler.csproj" --no-incremental -nologo -v d -p:ReportAnalyzer=true -p:WithGuardedAI=$with > "$work/build-$variant-$i.log"
    echo "== run $i, variant $variant"
    grep -E "^\s*(Total analyzer execution time|[<0-9.]+ +[<0-9]+ +(GuardedAI\.Analyzers|Microsoft\.CodeAnalysis\.(CSharp\.)?NetAnalyzers),)|^\s*[<0-9.]+ +[<0-9]+ +GuardedAI\.Analyzers\." \
      "$work/build-$variant-$i.log" | sed -e 's/^ *//' -e 's/, Version=.*//'
  done
done
