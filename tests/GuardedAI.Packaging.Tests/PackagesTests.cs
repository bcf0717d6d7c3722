using System.IO.Compression;
using System.Xml.Linq;

namespace GuardedAI.Packaging.Tests;

/// <summary>
/// Packs every package into a local folder feed (a version no one else uses, so no cached copy can stand in), then
/// meets them as a new user does: the README's "Add GuardedAI to your app" followed word for word in a fresh folder
/// outside the repository, an <c>[LlmBudget]</c> interface and an unguarded call added, a build that must report
/// GAI001 and generate the client, a run, and the <c>guardedai</c> tool installed from the feed and run once.
/// </summary>
public sealed class PackagesTests : IAsyncLifetime
{
    private static readonly string[] Packages = ["GuardedAI", "GuardedAI.Sqlite", "GuardedAI.Redis", "GuardedAI.PostgreSql", "GuardedAI.Alerts", "GuardedAI.AspNetCore", "GuardedAI.Cli"];

    /// <summary>The library packages and their assemblies, each packed with ReadyToRun images (the tool is an app: not).</summary>
    private static readonly (string Id, string Assembly)[] LibraryAssemblies =
    [
        ("GuardedAI", "GuardedAI.Runtime.dll"), ("GuardedAI.Sqlite", "GuardedAI.Sqlite.dll"), ("GuardedAI.Redis", "GuardedAI.Redis.dll"),
        ("GuardedAI.PostgreSql", "GuardedAI.PostgreSql.dll"), ("GuardedAI.Alerts", "GuardedAI.Alerts.dll"), ("GuardedAI.AspNetCore", "GuardedAI.AspNetCore.dll"),
    ];

    private readonly string _work = Path.Combine(Path.GetTempPath(), "guardedai-packages-" + Guid.NewGuid().ToString("N")[..8]);
    // Each part of an assembly version must stay below 65535: year and day, then two-second steps of the day.
    private readonly string _version = $"0.{DateTime.UtcNow:yy}{DateTime.UtcNow.DayOfYear:000}.{(int)DateTime.UtcNow.TimeOfDay.TotalSeconds / 2}";
    private string Feed => Path.Combine(_work, "guardedai-feed");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        (await Dotnet.RunAsync(Readme.RepositoryRoot, "pack", "src/GuardedAI.Packages.slnf", "-c", "Release", "-o", Feed,
            $"-p:Version={_version}", "-p:ContinuousIntegrationBuild=true", "--artifacts-path", Path.Combine(_work, "artifacts")))
            .Succeeded("dotnet pack");
    }

    public Task DisposeAsync()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        // The packages this test restored into the user's package cache carry a version made for this run only.
        var cache = PackageCache();
        foreach (var id in Packages)
        {
            var dir = Path.Combine(cache, id.ToLowerInvariant(), _version);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_new_project_gets_the_runtime_the_generator_and_the_analyzers_from_one_package_and_the_tool_installs()
    {
        CheckPackages();

        // The README's commands, word for word, in a folder outside the repository whose home holds the feed.
        var setup = Readme.Blocks("## Add GuardedAI to your app");
        var commands = Assert.Single(setup, b => b.Info == "bash").Text;
        var program = Assert.Single(setup, b => b.Info == "csharp").Text;
        (await Dotnet.RunProgramAsync("bash", _work, "-c", $"set -euo pipefail\nexport HOME='{_work}'\n" +
            $"export NUGET_PACKAGES='{PackageCache()}'\n{commands}")).Succeeded("the README's commands");
        var app = Path.Combine(_work, "MyApp");
        Assert.Contains($"Include=\"GuardedAI\" Version=\"{_version}\"", File.ReadAllText(Path.Combine(app, "MyApp.csproj")));

        File.WriteAllText(Path.Combine(app, "Program.cs"), program + "\n" + TypedClientAndUnguardedCall);
        var build = (await Dotnet.RunAsync(app, "build")).Succeeded("dotnet build");
        Assert.Contains("warning GAI001", build.Output);
        Assert.Contains("'raw'", build.Output);

        var run = (await Dotnet.RunAsync(app, "run", "--no-build")).Succeeded("dotnet run");
        Assert.Contains("#3: ", run.Output);
        Assert.Contains("#4 denied: Budget 'my-app' denied the call: the daily requests limit is 3", run.Output);
        Assert.Contains("typed client answered:", run.Output);
        CheckReadyToRunLoaded(run.Output, app);

        // The tool, from the same feed.
        var tools = Path.Combine(_work, "tools");
        (await Dotnet.RunAsync(_work, "tool", "install", "GuardedAI.Cli", "--tool-path", tools, "--version", _version, "--add-source", Feed))
            .Succeeded("dotnet tool install");
        var pricing = (await Dotnet.RunProgramAsync(Path.Combine(tools, "guardedai"), _work, "pricing", "--model", "gpt-4o-mini")).Succeeded("guardedai pricing");
        Assert.Contains("gpt-4o-mini", pricing.Output);
    }

    /// <summary>Added after the README's program: a generated client must work, and an unguarded call must be reported.
    /// It also says which GuardedAI.Runtime.dll and GuardedAI.Sqlite.dll the host loaded.</summary>
    private const string TypedClientAndUnguardedCall = """
        Console.WriteLine($"runtime assembly: {typeof(BudgetEngine).Assembly.Location}");
        Console.WriteLine($"runtime assembly: {typeof(GuardedAI.Sqlite.SqliteUsageLedger).Assembly.Location}");
        ISupportBot bot = ISupportBot.Create(new SimulatedChatClient("gpt-4o-mini"), engine);
        Console.WriteLine($"typed client answered: {await bot.AnswerAsync("Where is my order?")}");

        IChatClient raw = new SimulatedChatClient("gpt-4o-mini");
        await raw.GetResponseAsync("Nobody budgets this.");

        [LlmBudget("support-bot", Model = "gpt-4o-mini", DailyRequests = 10, MaxOutputTokens = 200)]
        public partial interface ISupportBot
        {
            [LlmPrompt("Answer in one sentence: {question}")]
            Task<string> AnswerAsync(string question, CancellationToken cancellationToken = default);
        }
        """;

    /// <summary>Every package is in the feed with its symbols and complete metadata; GuardedAI carries the generator,
    /// the analyzers and the code fixes; the tool is a tool.</summary>
    private void CheckPackages()
    {
        foreach (var id in Packages)
        {
            var package = Path.Combine(Feed, $"{id}.{_version}.nupkg");
            Assert.True(File.Exists(package), $"{id} was not packed");
            Assert.True(File.Exists(Path.ChangeExtension(package, ".snupkg")), $"{id} has no symbol package");
            using var zip = ZipFile.OpenRead(package);
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var ns = nuspec.Root!.GetDefaultNamespace();
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal(_version, metadata.Element(ns + "version")?.Value);
            foreach (var field in (string[])["description", "authors", "tags", "readme", "license", "copyright"])
            {
                Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + field)?.Value), $"{id}: <{field}> is missing");
            }
            Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
            Assert.Matches("^[0-9a-f]{40}$", metadata.Element(ns + "repository")?.Attribute("commit")?.Value ?? "");
            Assert.Contains(zip.Entries, e => e.FullName == "README.md");
        }

        using (var runtime = ZipFile.OpenRead(Path.Combine(Feed, $"GuardedAI.{_version}.nupkg")))
        {
            var files = runtime.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("lib/net10.0/GuardedAI.Runtime.dll", files);
            Assert.Contains("analyzers/dotnet/cs/GuardedAI.Generator.dll", files);
            Assert.Contains("analyzers/dotnet/cs/GuardedAI.Analyzers.dll", files);
            Assert.Contains("analyzers/dotnet/cs/GuardedAI.CodeFixes.dll", files);
        }
        foreach (var (id, assembly) in LibraryAssemblies)
        {
            // The IL assembly for any machine, and a ReadyToRun image of it for each runtime identifier listed.
            using var library = ZipFile.OpenRead(Path.Combine(Feed, $"{id}.{_version}.nupkg"));
            var files = library.Entries.Select(e => e.FullName).ToHashSet();
            Assert.False(ReadyToRun.Image(Extract(library, $"lib/net10.0/{assembly}")).IsReadyToRun, $"{id}: lib/ must hold the IL assembly");
            foreach (var rid in ReadyToRun.Runtimes)
            {
                var entry = $"runtimes/{rid}/lib/net10.0/{assembly}";
                Assert.Contains(entry, files);
                var image = ReadyToRun.Image(Extract(library, entry));
                Assert.True(image.IsReadyToRun, $"{id}: {entry} is not a ReadyToRun image");
                Assert.Equal(ReadyToRun.Machine(rid), image.Machine);
            }
        }
        using (var tool = ZipFile.OpenRead(Path.Combine(Feed, $"GuardedAI.Cli.{_version}.nupkg")))
        {
            Assert.Contains(tool.Entries, e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
        }
    }

    /// <summary>The app, built without a runtime identifier as `dotnet build` builds it, loaded the packages' ReadyToRun
    /// images for this machine (the host picks them from the app's deps.json), not the IL assemblies beside them.</summary>
    private static void CheckReadyToRunLoaded(string output, string app)
    {
        var loaded = output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("runtime assembly: ", StringComparison.Ordinal))
            .Select(l => l["runtime assembly: ".Length..]).ToList();
        Assert.Equal(["GuardedAI.Runtime.dll", "GuardedAI.Sqlite.dll"], loaded.Select(Path.GetFileName));
        var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        foreach (var path in loaded)
        {
            Assert.StartsWith(app, path);
            if (!ReadyToRun.Runtimes.Contains(rid))
            {
                Assert.Equal("net10.0", Path.GetFileName(Path.GetDirectoryName(path)));
                continue;
            }
            Assert.EndsWith(Path.Combine("runtimes", rid, "lib", "net10.0", Path.GetFileName(path)), path);
            var image = ReadyToRun.Image(File.ReadAllBytes(path));
            Assert.True(image.IsReadyToRun, $"{path} is not a ReadyToRun image");
            Assert.Equal(ReadyToRun.Machine(rid), image.Machine);
        }
    }

    private static byte[] Extract(ZipArchive zip, string entry)
    {
        using var stream = zip.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string PackageCache() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
