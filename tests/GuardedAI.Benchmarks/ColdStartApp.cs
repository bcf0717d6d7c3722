using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace GuardedAI.Benchmarks;

/// <summary>
/// The cold-start child as a user would have it: a small console app (the same <see cref="ColdStart"/> and
/// <see cref="Fixtures"/> sources and the <see cref="Stats"/> they use, linked), in two forms. <see cref="Publish"/>
/// references GuardedAI.Runtime and its packages and publishes with <c>PublishReadyToRun</c> for this machine's runtime
/// identifier, framework-dependent: the app's and its libraries' code compiled ahead of time. <see cref="BuildFromPackage"/>
/// references the GuardedAI package, packed from this build, and is built as <c>dotnet run</c> builds an app: its own
/// code and the other libraries compiled just in time, GuardedAI.Runtime from the ReadyToRun image the package carries
/// for this machine. Written into the temp directory; rebuilt only when the runtime or the linked sources change.
/// </summary>
internal static class ColdStartApp
{
    /// <summary>The ReadyToRun-published app's dll, or null and why not (e.g. no ReadyToRun compiler package in the NuGet feed).</summary>
    public static (string? Dll, string? Why) Publish()
    {
        var outputs = RepositoryOutputs.Locate();
        var root = Path.Combine(Path.GetTempPath(), "guardedai-coldstart-r2r");
        var published = Path.Combine(root, "out", "ColdStartApp.dll");
        var sources = Sources(outputs);
        var stamp = Stamp(sources.Append(outputs.RuntimeAssembly).Append(outputs.PinnedVersions));
        if (IsCurrent(root, published, stamp)) return (published, null);

        var packages = RepositoryOutputs.PackageReferences(outputs.RuntimePackages.Concat(outputs.ProviderPackages));
        WriteProject(root, sources, $"""
                <RuntimeIdentifier>{RuntimeInformation.RuntimeIdentifier}</RuntimeIdentifier>
                <SelfContained>false</SelfContained>
                <PublishReadyToRun>true</PublishReadyToRun>

            """, $"    <Reference Include=\"{outputs.RuntimeAssembly}\" />\n{packages}");
        var why = Dotnet(root, "publish", Path.Combine(root, "ColdStartApp.csproj"), "-c", "Release", "-o", Path.Combine(root, "out"), "-nologo", "-v:q");
        return Finish(root, published, stamp, why, "the ReadyToRun publish");
    }

    /// <summary>
    /// The app built against the GuardedAI package, or null and why not. The package is packed from this build's
    /// Release outputs (<c>dotnet pack --no-build</c>) with the ReadyToRun image of this machine's runtime identifier only
    /// (the shipped package carries six; the host picks this machine's either way), under a version made from the build's
    /// stamp, so the package cache never hands back an older one.
    /// </summary>
    public static (string? Dll, string? Why) BuildFromPackage()
    {
        var outputs = RepositoryOutputs.Locate();
        var root = Path.Combine(Path.GetTempPath(), "guardedai-coldstart-package");
        var built = Path.Combine(root, "bin", "Release", "net10.0", "ColdStartApp.dll");
        var sources = Sources(outputs);
        var packing = new[] { Path.Combine("src", "Runtime", "GuardedAI.Runtime.csproj"), Path.Combine("src", "ReadyToRun", "GuardedAI.ReadyToRun.csproj"), Path.Combine("src", "Directory.Build.targets") }
            .Select(f => Path.Combine(outputs.Repository, f));
        var stamp = Stamp(sources.Append(outputs.RuntimeAssembly).Append(outputs.PinnedVersions).Concat(packing));
        if (IsCurrent(root, built, stamp)) return (built, null);

        var version = "0.0.0-coldstart." + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(stamp)))[..12];
        var feed = Path.Combine(root, "feed");
        if (Directory.Exists(feed)) Directory.Delete(feed, recursive: true);
        var why = Dotnet(root, "pack", Path.Combine(outputs.Repository, "src", "Runtime", "GuardedAI.Runtime.csproj"), "-c", "Release", "--no-build",
            "-o", feed, $"-p:Version={version}", $"-p:GuardedAIReadyToRunRuntimes={RuntimeInformation.RuntimeIdentifier}", "-nologo", "-v:q");
        if (why is not null) return (null, $"packing GuardedAI failed: {why}");
        ForgetEarlierPackages(version);

        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="guardedai-coldstart" value="{feed}" />
              </packageSources>
            </configuration>

            """);
        WriteProject(root, sources, "", RepositoryOutputs.PackageReferences([("GuardedAI", version), .. outputs.ProviderPackages]));
        why = Dotnet(root, "build", Path.Combine(root, "ColdStartApp.csproj"), "-c", "Release", "-nologo", "-v:q");
        return Finish(root, built, stamp, why, "the build against the package");
    }

    /// <summary>Removes the packages earlier stamps restored into the user's package cache (each ~12 MB).</summary>
    private static void ForgetEarlierPackages(string current)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var versions = Path.Combine(cache, "guardedai");
        if (!Directory.Exists(versions)) return;
        foreach (var dir in Directory.GetDirectories(versions, "0.0.0-coldstart.*").Where(d => Path.GetFileName(d) != current))
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static List<string> Sources(RepositoryOutputs outputs) => new[] { "ColdStart.cs", "Fixtures.cs", "Stats.cs" }
        .Select(f => Path.Combine(outputs.Repository, "tests", "GuardedAI.Benchmarks", f)).ToList();

    private static bool IsCurrent(string root, string output, string stamp)
    {
        var stampFile = Path.Combine(root, "stamp");
        return File.Exists(output) && File.Exists(stampFile) && File.ReadAllText(stampFile) == stamp;
    }

    private static (string? Dll, string? Why) Finish(string root, string output, string stamp, string? why, string what)
    {
        if (why is not null || !File.Exists(output)) return (null, $"{what} failed: {why}");
        File.WriteAllText(Path.Combine(root, "stamp"), stamp);
        return (output, null);
    }

    private static void WriteProject(string root, IEnumerable<string> sources, string properties, string references)
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"),
            "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>\n");
        var compile = string.Concat(sources.Select(s => $"    <Compile Include=\"{s}\" />\n"));
        File.WriteAllText(Path.Combine(root, "ColdStartApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
            {properties}    <ServerGarbageCollection>false</ServerGarbageCollection>
                <ConcurrentGarbageCollection>false</ConcurrentGarbageCollection>
                <NoWarn>$(NoWarn);NU1603;NU1608;NU1605;GAI001</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <Compile Include="Program.cs" />
            {references}{compile}  </ItemGroup>
            </Project>

            """);
        File.WriteAllText(Path.Combine(root, "Program.cs"),
            "return args is [\"coldstart\", var mode] ? await GuardedAI.Benchmarks.ColdStart.ChildAsync(mode) : 2;\n");
    }

    /// <summary>Runs <c>dotnet</c> with <paramref name="args"/>; null when it succeeded, else the first error lines.</summary>
    private static string? Dotnet(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var a in args) start.ArgumentList.Add(a);
        // This process may itself run under `dotnet run`, whose MSBuild settings must not leak into the child build.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList()) start.Environment.Remove(name);
        Directory.CreateDirectory(directory);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode == 0) return null;
        var errors = string.Join(" ", (stdout + stderr.Result).Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(3)).Trim();
        return errors.Length == 0 ? $"exit code {process.ExitCode}" : errors;
    }

    private static string Stamp(IEnumerable<string> files)
    {
        var text = new StringBuilder();
        foreach (var file in files) text.Append(file).Append(' ').Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)))).Append('\n');
        return text.ToString();
    }
}
