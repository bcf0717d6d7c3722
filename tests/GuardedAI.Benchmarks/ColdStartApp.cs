using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace GuardedAI.Benchmarks;

/// <summary>
/// The cold-start child as a user would ship it: a small console app (the same <see cref="ColdStart"/> and
/// <see cref="Fixtures"/> sources and the <see cref="Stats"/> they use, linked) that references GuardedAI.Runtime and its packages and is published with
/// <c>PublishReadyToRun</c> for this machine's runtime identifier, framework-dependent. ReadyToRun compiles the app's
/// and its libraries' code ahead of time, so the first call does not wait for the JIT. Written and published into the
/// temp directory; republished only when the runtime or the linked sources change.
/// </summary>
internal static class ColdStartApp
{
    /// <summary>The published app's dll, or null and why not (e.g. no ReadyToRun compiler package in the NuGet feed).</summary>
    public static (string? Dll, string? Why) Publish()
    {
        var outputs = RepositoryOutputs.Locate();
        var sources = new[] { "ColdStart.cs", "Fixtures.cs", "Stats.cs" }
            .Select(f => Path.Combine(outputs.Repository, "tests", "GuardedAI.Benchmarks", f)).ToList();
        var root = Path.Combine(Path.GetTempPath(), "guardedai-coldstart-r2r");
        var published = Path.Combine(root, "out", "ColdStartApp.dll");
        var stampFile = Path.Combine(root, "stamp");
        var stamp = Stamp(sources.Append(outputs.RuntimeAssembly));
        if (File.Exists(published) && File.Exists(stampFile) && File.ReadAllText(stampFile) == stamp) return (published, null);

        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"),
            "<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>\n");
        var packages = string.Concat(outputs.RuntimePackages.Select(p => $"    <PackageReference Include=\"{p.Id}\" Version=\"{p.Version}\" />\n"));
        var compile = string.Concat(sources.Select(s => $"    <Compile Include=\"{s}\" />\n"));
        File.WriteAllText(Path.Combine(root, "ColdStartApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <RuntimeIdentifier>{RuntimeInformation.RuntimeIdentifier}</RuntimeIdentifier>
                <SelfContained>false</SelfContained>
                <PublishReadyToRun>true</PublishReadyToRun>
                <ServerGarbageCollection>false</ServerGarbageCollection>
                <ConcurrentGarbageCollection>false</ConcurrentGarbageCollection>
                <NoWarn>$(NoWarn);NU1603;NU1608;NU1605</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="GuardedAI.Runtime" HintPath="{outputs.RuntimeAssembly}" />
            {packages}{compile}  </ItemGroup>
            </Project>

            """);
        File.WriteAllText(Path.Combine(root, "Program.cs"),
            "return args is [\"coldstart\", var mode] ? await GuardedAI.Benchmarks.ColdStart.ChildAsync(mode) : 2;\n");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "publish", Path.Combine(root, "ColdStartApp.csproj"), "-c", "Release", "-o", Path.Combine(root, "out"), "-nologo", "-v:q" }) start.ArgumentList.Add(a);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList()) start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(published))
        {
            var errors = string.Join(" ", (stdout + stderr.Result).Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(3)).Trim();
            return (null, $"the ReadyToRun publish failed: {errors}");
        }
        File.WriteAllText(stampFile, stamp);
        return (published, null);
    }

    private static string Stamp(IEnumerable<string> files)
    {
        var text = new StringBuilder();
        foreach (var file in files) text.Append(file).Append(' ').Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)))).Append('\n');
        return text.ToString();
    }
}
