using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Writes the projects the build benchmark compiles, in a directory outside the repository:
/// <list type="bullet">
/// <item><c>llm-src</c>: <c>interfaces</c> <c>[LlmBudget]</c> partial interfaces (three typed methods each: text, structured,
/// streaming) and <c>callSites</c> calls on them (typed calls, and <c>IChatClient</c> calls on the generated clients, which
/// GAI001 must follow), plus a DI registration per interface. <c>llm-with</c> compiles it with the generator, analyzers and
/// code fixes attached as analyzers, as the GuardedAI package attaches them; <c>llm-without</c> compiles the same sources
/// plus the generator's output captured from a <c>llm-with</c> build as ordinary files, with no analyzer of ours.</item>
/// <item><c>plain-src</c>: the same number of interfaces, implementations and call sites with no LLM library referenced;
/// <c>plain-with</c> attaches our analyzers and generator, <c>plain-without</c> does not.</item>
/// </list>
/// Both variants of a pair compile the same code with the same references; the only difference is our generator and
/// analyzers running, which is what the build target is about.
/// </summary>
internal sealed class BuildProjects
{
    public BuildProjects(string root, int interfaces, int callSites)
    {
        Root = root;
        Interfaces = interfaces;
        CallSites = callSites;
    }

    public string Root { get; }

    public int Interfaces { get; }

    public int CallSites { get; }

    public string LlmWith => Path.Combine(Root, "llm-with", "llm-with.csproj");

    public string LlmWithout => Path.Combine(Root, "llm-without", "llm-without.csproj");

    public string PlainWith => Path.Combine(Root, "plain-with", "plain-with.csproj");

    public string PlainWithout => Path.Combine(Root, "plain-without", "plain-without.csproj");

    /// <summary>Where <c>llm-without</c> keeps the generator's output (filled by <see cref="BuildOverhead"/>).</summary>
    public string CapturedGeneratorOutput => Path.Combine(Root, "llm-without", "Generated");

    /// <summary>The file the benchmark rewrites before each timed build, so the compiler has something to recompile.</summary>
    public string EditFile(string source) => Path.Combine(Root, source, "Edit.cs");

    /// <summary>Writes every project (files whose content is unchanged are left alone, so restore stays a no-op).</summary>
    public void Write(RepositoryOutputs outputs)
    {
        Directory.CreateDirectory(Root);
        // Keep any Directory.Build.props / Directory.Packages.props above the temp directory out of these projects.
        WriteIfChanged(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        WriteIfChanged(Path.Combine(Root, "Directory.Packages.props"),
            "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>\n");
        WriteIfChanged(Path.Combine(Root, "BuildBench.slnx"),
            "<Solution>\n  <Project Path=\"llm-with/llm-with.csproj\" />\n  <Project Path=\"llm-without/llm-without.csproj\" />\n" +
            "  <Project Path=\"plain-with/plain-with.csproj\" />\n  <Project Path=\"plain-without/plain-without.csproj\" />\n</Solution>\n");

        var packages = RepositoryOutputs.PackageReferences(outputs.RuntimePackages);
        var runtime = $"    <Reference Include=\"GuardedAI.Runtime\" HintPath=\"{outputs.RuntimeAssembly}\" />\n";
        var analyzers = string.Concat(outputs.Analyzers.Select(a => $"    <Analyzer Include=\"{a}\" />\n"));
        WriteIfChanged(LlmWith, Project("llm-src", packages + runtime + analyzers, extra: ""));
        WriteIfChanged(LlmWithout, Project("llm-src", packages + runtime, extra: ""));
        WriteIfChanged(PlainWith, Project("plain-src", "", extra: analyzers));
        WriteIfChanged(PlainWithout, Project("plain-src", "", extra: ""));
        Directory.CreateDirectory(CapturedGeneratorOutput);

        WriteLlmSources(Path.Combine(Root, "llm-src"));
        WritePlainSources(Path.Combine(Root, "plain-src"));
    }

    private static string Project(string source, string references, string extra) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <AssemblyName>BuildBench</AssemblyName>
            <NoWarn>$(NoWarn);NU1603;NU1608;NU1605</NoWarn>
          </PropertyGroup>
          <ItemGroup>
            <Compile Include="../{source}/**/*.cs" />
        {references}{extra}  </ItemGroup>
        </Project>

        """;

    private void WriteLlmSources(string dir)
    {
        var budgets = Path.Combine(dir, "Budgets");
        var calls = Path.Combine(dir, "Calls");
        Directory.CreateDirectory(budgets);
        Directory.CreateDirectory(calls);
        for (var i = 0; i < Interfaces; i++)
        {
            // Vary the attribute so the generator emits different policies (limits, tier, caps, thresholds).
            var policy = (i % 4) switch
            {
                0 => $"Model = \"gpt-4o-mini\", DailyCostUsd = {1 + i % 7}.25, MaxOutputTokens = {200 + i}",
                1 => $"Model = \"gpt-4o\", Tier = BudgetTier.Free, HourlyRequests = 5, MaxInputTokens = {4000 + i}",
                2 => $"Model = \"gpt-4o-mini\", RequestsPerMinute = {10 + i}, DailyTokens = {100_000 + i}, WarnAtPercent = 80",
                _ => $"Model = \"gpt-4.1-mini\", MonthlyCostUsd = {50 + i}, MaxRequestCostUsd = 0.5, CriticalAtPercent = 95",
            };
            WriteIfChanged(Path.Combine(budgets, $"IBot{i}.cs"), $$"""
                using GuardedAI;

                namespace BuildBench.Bots;

                public enum Topic{{i}} { Billing, Shipping, Other }

                [LlmBudget("bot-{{i}}", {{policy}})]
                public partial interface IBot{{i}}
                {
                    [LlmPrompt("Answer briefly: {question}", System = "You are assistant {{i}}.")]
                    Task<string> AnswerAsync(string question, CancellationToken cancellationToken = default);

                    [LlmPrompt("Classify ticket {id}: {ticket}")]
                    Task<Topic{{i}}> ClassifyAsync(int id, string ticket, CancellationToken cancellationToken = default);

                    [LlmPrompt("Draft a reply to: {message}")]
                    IAsyncEnumerable<string> DraftAsync(string message, CancellationToken cancellationToken = default);
                }

                """);
        }

        WriteCallers(calls, f => $$"""
            using GuardedAI;
            using Microsoft.Extensions.AI;
            using BuildBench.Bots;

            namespace BuildBench.Calls;

            public sealed class Caller{{f}}(IChatClient provider, BudgetEngine engine)
            {
                public async Task<int> RunAsync(CancellationToken ct)
                {
                    var total = 0;

            """, site =>
        {
            var bot = $"IBot{site % Interfaces}";
            return (site % 5) switch
            {
                0 => $"        total += (await {bot}.Create(provider, engine).AnswerAsync(\"q{site}\", ct)).Length;\n",
                1 => $"        total += (int)await {bot}.Create(provider, engine).ClassifyAsync({site}, \"t{site}\", ct);\n",
                2 => $"        await foreach (var part in {bot}.Create(provider, engine).DraftAsync(\"m{site}\", ct)) total += part.Length;\n",
                3 => $"        {{ {bot} c{site} = {bot}.Create(provider, engine); total += (await c{site}.GetResponseAsync(\"q{site}\", cancellationToken: ct)).Text.Length; }}\n",
                _ => $"        {{ IChatClient c{site} = {bot}.Create(provider, engine); await foreach (var u in c{site}.GetStreamingResponseAsync(\"q{site}\", cancellationToken: ct)) total += u.Text.Length; }}\n",
            };
        });

        var registrations = string.Concat(Enumerable.Range(0, Interfaces).Select(i => $"services.AddBot{i}(_ => provider);\n"));
        WriteIfChanged(Path.Combine(dir, "Program.cs"), $"""
            using BuildBench.Bots;
            using Microsoft.Extensions.AI;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            IChatClient? provider = null;
            {registrations}Console.WriteLine(services.Count + BuildBench.Edit.Revision);

            """);
        WriteEdit(EditFile("llm-src"), 0);
    }

    private void WritePlainSources(string dir)
    {
        var services = Path.Combine(dir, "Services");
        var calls = Path.Combine(dir, "Calls");
        Directory.CreateDirectory(services);
        Directory.CreateDirectory(calls);
        for (var i = 0; i < Interfaces; i++)
        {
            WriteIfChanged(Path.Combine(services, $"IService{i}.cs"), $$"""
                using System.Runtime.CompilerServices;

                namespace BuildBench.Services;

                public enum Topic{{i}} { Billing, Shipping, Other }

                [System.ComponentModel.Description("an attribute on the interface, as [LlmBudget] would be")]
                public partial interface IService{{i}}
                {
                    Task<string> AnswerAsync(string question, CancellationToken cancellationToken = default);

                    Task<Topic{{i}}> ClassifyAsync(int id, string ticket, CancellationToken cancellationToken = default);

                    IAsyncEnumerable<string> DraftAsync(string message, CancellationToken cancellationToken = default);
                }

                public sealed class Service{{i}} : IService{{i}}
                {
                    public Task<string> AnswerAsync(string question, CancellationToken cancellationToken = default)
                        => Task.FromResult(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Answer briefly: {question}"));

                    public Task<Topic{{i}}> ClassifyAsync(int id, string ticket, CancellationToken cancellationToken = default)
                        => Task.FromResult((Topic{{i}})((id + ticket.Length) % 3));

                    public async IAsyncEnumerable<string> DraftAsync(string message, [EnumeratorCancellation] CancellationToken cancellationToken = default)
                    {
                        foreach (var word in message.Split(' '))
                        {
                            await Task.Yield();
                            yield return word;
                        }
                    }
                }

                """);
        }

        WriteCallers(calls, f => $$"""
            using BuildBench.Services;

            namespace BuildBench.Calls;

            public sealed class Caller{{f}}
            {
                public async Task<int> RunAsync(CancellationToken ct)
                {
                    var total = 0;

            """, site =>
        {
            var service = $"Service{site % Interfaces}";
            return (site % 5) switch
            {
                0 => $"        total += (await new {service}().AnswerAsync(\"q{site}\", ct)).Length;\n",
                1 => $"        total += (int)await new {service}().ClassifyAsync({site}, \"t{site}\", ct);\n",
                2 => $"        await foreach (var part in new {service}().DraftAsync(\"m{site}\", ct)) total += part.Length;\n",
                3 => $"        {{ I{service} c{site} = new {service}(); total += (await c{site}.AnswerAsync(\"q{site}\", ct)).Length; }}\n",
                _ => $"        {{ I{service} c{site} = new {service}(); await foreach (var u in c{site}.DraftAsync(\"q{site}\", ct)) total += u.Length; }}\n",
            };
        });

        WriteIfChanged(Path.Combine(dir, "Program.cs"), "Console.WriteLine(BuildBench.Edit.Revision);\n");
        WriteEdit(EditFile("plain-src"), 0);
    }

    /// <summary>The one file an edit–build loop changes.</summary>
    public static void WriteEdit(string path, int revision) =>
        File.WriteAllText(path, $"namespace BuildBench;\n\ninternal static class Edit\n{{\n    public const int Revision = {revision};\n}}\n");

    /// <summary>The call sites, ten per file: each file's header (its class, by file number), one line per site, the return.</summary>
    private void WriteCallers(string calls, Func<int, string> header, Func<int, string> callSite)
    {
        const int perFile = 10;
        var files = (CallSites + perFile - 1) / perFile;
        var site = 0;
        for (var f = 0; f < files; f++)
        {
            var sb = new StringBuilder(header(f));
            for (var k = 0; k < perFile && site < CallSites; k++, site++) sb.Append(callSite(site));
            sb.Append("        return total;\n    }\n}\n");
            WriteIfChanged(Path.Combine(calls, $"Caller{f}.cs"), sb.ToString());
        }
    }

    private static void WriteIfChanged(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path) && File.ReadAllText(path) == content) return;
        File.WriteAllText(path, content);
    }
}

/// <summary>What the repository built that the generated projects use: the runtime, its packages, our Roslyn components;
/// and the provider SDK the cold-start app's real client comes from, at the versions the repository pins.</summary>
internal sealed record RepositoryOutputs(string Repository, string RuntimeAssembly, IReadOnlyList<(string Id, string Version)> RuntimePackages,
    IReadOnlyList<string> Analyzers, IReadOnlyList<(string Id, string Version)> ProviderPackages)
{
    /// <summary>
    /// Finds the repository above the benchmark's own output (bin/&lt;Configuration&gt;/net10.0) and the generator,
    /// analyzers and code fixes built in the same configuration (the runtime project builds them).
    /// </summary>
    public static RepositoryOutputs Locate()
    {
        var baseDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var configuration = Path.GetFileName(Path.GetDirectoryName(baseDir)!);
        var repo = new DirectoryInfo(baseDir);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "GuardedAI.sln"))) repo = repo.Parent;
        if (repo is null) throw new InvalidOperationException($"No GuardedAI.sln above {baseDir}: the build benchmark needs the repository's sources.");

        var analyzers = new[] { "Generator", "Analyzers", "CodeFixes" }
            .Select(name => Path.Combine(repo.FullName, "src", name, "bin", configuration, "netstandard2.0", $"GuardedAI.{name}.dll"))
            .ToList();
        foreach (var path in analyzers)
        {
            if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: build src/Runtime in {configuration} first.");
        }

        // The runtime's package references, at the versions the repository pins (what the GuardedAI package brings along).
        var versions = XDocument.Load(Path.Combine(repo.FullName, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
        (string, string) Pinned(string id) => (id, versions.TryGetValue(id, out var v) ? v : throw new InvalidOperationException($"No central version for {id}."));
        var packages = XDocument.Load(Path.Combine(repo.FullName, "src", "Runtime", "GuardedAI.Runtime.csproj")).Descendants("PackageReference")
            .Select(e => Pinned((string)e.Attribute("Include")!))
            .ToList();
        var provider = new[] { Pinned("OpenAI"), Pinned("Microsoft.Extensions.AI.OpenAI") };
        return new RepositoryOutputs(repo.FullName, Path.Combine(baseDir, "GuardedAI.Runtime.dll"), packages, analyzers, provider);
    }

    /// <summary>The file that pins the packages' versions: an app built with them is stale once it changes.</summary>
    public string PinnedVersions => Path.Combine(Repository, "Directory.Packages.props");

    /// <summary>Project-file lines referencing <paramref name="packages"/> at their versions.</summary>
    public static string PackageReferences(IEnumerable<(string Id, string Version)> packages) =>
        string.Concat(packages.Select(p => $"    <PackageReference Include=\"{p.Id}\" Version=\"{p.Version}\" />\n"));
}
