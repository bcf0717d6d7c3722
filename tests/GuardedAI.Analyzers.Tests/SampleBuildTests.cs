using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// Builds samples/Agents with the real SDK compiler (`dotnet build` in a child process, the analyzers loaded as a user's
/// project loads them) and reads the MSBuild output a person sees: every GAI001 line must carry its reason and its help
/// link, and the warnings must be exactly the lines the sample marks "GAI001".
/// </summary>
public class SampleBuildTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    // MSBuild: "<file>(<line>,<col>): warning GAI001: <message> (<help link>) [<project>]", one line per warning.
    private static readonly Regex WarningLine = new(
        @"^(?<file>.+?)\((?<line>\d+),\d+\): warning GAI001: (?<message>'[^']+' calls a model without a GuardedAI budget: '[^']+' .+\S) \((?<link>https?://\S+/GAI001\.md)\) \[(?<project>[^\]]+\.csproj)\]$");

    [Fact]
    public void AgentsSample_EveryGai001Line_CarriesItsReasonAndHelpLink_AndMatchesTheMarkedLines()
    {
        var root = FindRepositoryRoot();
        var sample = Path.Combine(root, "samples", "Agents");
        var output = Build(Path.Combine(sample, "Agents.csproj"));

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
    /// A rebuild of the sample only (its references are the test project's own, already built in this configuration), so
    /// the compiler runs and prints its warnings even when nothing changed since the last build.
    /// </summary>
    private static string Build(string project)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "build", project, "-c", Configuration, "--no-incremental", "-p:BuildProjectReferences=false",
                     "-nologo", "-clp:NoSummary", "-v:q", "-p:UseSharedCompilation=false",
                 })
        {
            start.ArgumentList.Add(argument);
        }
        // The test host runs under `dotnet test`: its MSBuild variables would point the child build at the wrong SDK state.
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "MSBUILD_EXE_PATH").ToList())
            start.Environment.Remove(variable);

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "dotnet build did not finish in 5 minutes");
        Assert.True(process.ExitCode == 0, $"dotnet build failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
        return stdout;
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
