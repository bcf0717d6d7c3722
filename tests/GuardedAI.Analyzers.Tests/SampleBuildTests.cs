using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// Builds samples/Agents with the real SDK compiler (`dotnet build` in a child process, the analyzers loaded as a user's
/// project loads them: an Analyzer item) and reads the MSBuild output a person sees: every GAI001 line must carry its reason and its help
/// link, and the warnings must be exactly the lines the sample marks "GAI001".
/// </summary>
public class SampleBuildTests
{
    // MSBuild: "<file>(<line>,<col>): warning GAI001: <message> (<help link>) [<project>]", one line per warning.
    private static readonly Regex WarningLine = new(
        @"^(?<file>.+?)\((?<line>\d+),\d+\): warning GAI001: (?<message>'[^']+' calls a model without a GuardedAI budget: '[^']+' .+\S) \((?<link>\S+/GAI001\.md)\) \[(?<project>[^\]]+\.csproj)\]$");

    [Fact]
    public void AgentsSample_EveryGai001Line_CarriesItsReasonAndHelpLink_AndMatchesTheMarkedLines()
    {
        var root = FindRepositoryRoot();
        var sample = Path.Combine(root, "samples", "Agents");
        var output = Build(root, sample);

        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains("GAI001", StringComparison.Ordinal)).Distinct().ToList();
        Assert.NotEmpty(lines);
        var reported = new HashSet<(string File, int Line)>();
        foreach (var line in lines)
        {
            var match = WarningLine.Match(line);
            Assert.True(match.Success, "A GAI001 line without its reason or help link, or cut short:\n" + line);
            Assert.Equal(DiagnosticDescriptors.HelpLinkBase + "GAI001.md", match.Groups["link"].Value);
            reported.Add((Path.GetFileName(match.Groups["file"].Value), int.Parse(match.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }

        var marked = new HashSet<(string File, int Line)>();
        foreach (var file in Directory.GetFiles(sample, "*.cs"))
        {
            var text = File.ReadAllLines(file);
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i].TrimEnd().EndsWith("// GAI001", StringComparison.Ordinal))
                    marked.Add((Path.GetFileName(file), i + 1));
            }
        }
        Assert.Equal(7, marked.Count); // guards the markers themselves
        Assert.Equal(marked.OrderBy(m => m.File).ThenBy(m => m.Line), reported.OrderBy(r => r.File).ThenBy(r => r.Line));
    }

    /// <summary>
    /// Builds a copy of the sample in a fresh temporary folder: the same sources and package versions, the runtime and the
    /// analyzers this test runs with (referenced by path), so the compiler always runs and a concurrent build of the
    /// solution (`dotnet test` builds samples/Agents too) never shares its obj folder.
    /// </summary>
    private static string Build(string root, string sample)
    {
        var work = Directory.CreateTempSubdirectory("guardedai-agents-sample-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(sample, "*.cs"))
                File.Copy(file, Path.Combine(work, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(work, "Agents.csproj"), CreateProject(root, Path.Combine(sample, "Agents.csproj")));

            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = work,
            };
            foreach (var argument in new[] { "build", Path.Combine(work, "Agents.csproj"), "-nologo", "-clp:NoSummary", "-v:q", "-p:UseSharedCompilation=false" })
                start.ArgumentList.Add(argument);
            // The test host runs under `dotnet test`: its MSBuild variables would point the child build at the wrong SDK state.
            foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "MSBUILD_EXE_PATH").ToList())
                start.Environment.Remove(variable);

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "dotnet build did not finish in 5 minutes");
            Assert.True(process.ExitCode == 0, $"dotnet build failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
            // Report paths as the sample's own, so the marked lines can be compared by file name.
            return stdout;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The sample's project with its package versions made explicit and GuardedAI referenced by path.</summary>
    private static string CreateProject(string root, string sampleProject)
    {
        var versions = XDocument.Load(Path.Combine(root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
        var sample = XDocument.Load(sampleProject);
        var packages = sample.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!)
            .Select(name => $"    <PackageReference Include=\"{name}\" Version=\"{versions[name]}\" />");
        var noWarn = sample.Descendants("NoWarn").Select(e => e.Value).FirstOrDefault() ?? "";
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <RootNamespace>Agents</RootNamespace>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <NoWarn>{noWarn};NU1603;NU1608;NU1605</NoWarn>
              </PropertyGroup>
              <ItemGroup>
            {string.Join("\n", packages)}
                <Reference Include="{typeof(GuardedAI.BudgetChatClient).Assembly.Location}" />
                <Analyzer Include="{typeof(UnguardedLlmCallAnalyzer).Assembly.Location}" />
              </ItemGroup>
            </Project>
            """;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GuardedAI.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException("GuardedAI.sln not found above " + AppContext.BaseDirectory);
    }
}
