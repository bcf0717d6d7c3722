#!/usr/bin/env bash
# Generates a console project with N LLM call sites (default 1,000) for measuring the GuardedAI analyzers' build cost.
# Usage: tools/gen-callsites.sh OUT_DIR [N]
# The project is self-contained (its own Directory.Build.props, the GuardedAI contract as a stub file) and loads the
# analyzers only when built with -p:GuardedAIAnalyzer=/path/to/GuardedAI.Analyzers.dll.
set -euo pipefail
out=${1:?usage: gen-callsites.sh OUT_DIR [N]}
n=${2:-1000}
per_file=10
mkdir -p "$out/Calls"
rm -f "$out"/Calls/*.cs

cat > "$out/Directory.Build.props" <<'XML'
<Project>
  <!-- Keep the repository's build settings out of the generated project. -->
</Project>
XML
cat > "$out/Directory.Packages.props" <<'XML'
<Project>
  <PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
</Project>
XML
cat > "$out/CallSites.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <NoWarn>$(NoWarn);NU1603;NU1608</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.Extensions.AI" Version="10.11.0" />
    <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.13" />
  </ItemGroup>
  <ItemGroup Condition="'$(GuardedAIAnalyzer)' != ''">
    <Analyzer Include="$(GuardedAIAnalyzer)" />
  </ItemGroup>
</Project>
XML
cat > "$out/GuardedAIStub.cs" <<'CS'
namespace GuardedAI
{
    using Microsoft.Extensions.AI;
    public sealed class BudgetEngine { }
    public sealed class BudgetPolicy { }
    public class BudgetChatClient(IChatClient inner, BudgetEngine engine, BudgetPolicy policy) : DelegatingChatClient(inner) { }
    public static class BudgetChatClientBuilderExtensions
    {
        public static ChatClientBuilder UseBudget(this ChatClientBuilder builder, string budgetName, Action<BudgetChatClient>? configure = null) => builder;
    }
    [AttributeUsage(AttributeTargets.All)]
    public sealed class AllowUnguardedLlmCallsAttribute(string justification) : Attribute { public string Justification { get; } = justification; }
}
CS
cat > "$out/Program.cs" <<'CS'
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using GuardedAI;

var services = new ServiceCollection();
services.AddChatClient(sp => null!).UseBudget("app");
Console.WriteLine(services.Count);
CS

files=$(( (n + per_file - 1) / per_file ))
site=0
for ((f = 0; f < files; f++)); do
  {
    echo "using Microsoft.Extensions.AI;"
    echo "using GuardedAI;"
    echo "namespace CallSites;"
    echo "public sealed class Service$f(IChatClient injected)"
    echo "{"
    echo "    private readonly IChatClient _field = new ChatClientBuilder(injected).UseBudget(\"f$f\").Build();"
    echo "    public async Task<int> RunAsync(IChatClient inner, CancellationToken ct)"
    echo "    {"
    echo "        var local = inner.AsBuilder().UseFunctionInvocation().Build();"
    echo "        var guarded = inner.AsBuilder().UseBudget(\"l$f\").Build();"
    echo "        var total = 0;"
    for ((k = 0; k < per_file && site < n; k++, site++)); do
      # Rotate through the shapes the analysis follows: locals, fields, DI, lambdas, streaming, extension forms.
      case $((site % 6)) in
        0) echo "        total += (await local.GetResponseAsync(\"q$site\", cancellationToken: ct)).Text.Length;" ;;
        1) echo "        total += (await guarded.GetResponseAsync(\"q$site\", cancellationToken: ct)).Text.Length;" ;;
        2) echo "        total += (await _field.GetResponseAsync(\"q$site\", cancellationToken: ct)).Text.Length;" ;;
        3) echo "        total += (await injected.GetResponseAsync(\"q$site\", cancellationToken: ct)).Text.Length;" ;;
        4) echo "        Func<Task<ChatResponse>> ask$site = () => guarded.GetResponseAsync(\"q$site\", cancellationToken: ct); total += (await ask$site()).Text.Length;" ;;
        5) echo "        await foreach (var u in local.GetStreamingResponseAsync(\"q$site\", cancellationToken: ct)) total += u.Text.Length;" ;;
      esac
    done
    echo "        return total;"
    echo "    }"
    echo "}"
  } > "$out/Calls/Service$f.cs"
done
echo "generated $site call sites in $files files under $out"
