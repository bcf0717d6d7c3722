using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GuardedAI.Benchmarks;

/// <summary>
/// How much slower a project builds with GuardedAI's generator and analyzers than the same code without them
/// (<see cref="BuildProjects"/> writes both). Each timed build is what an edit–build loop does: one source file changes,
/// then <c>dotnet build --no-restore</c> (the compiler server warm, as on a developer's machine). The variants alternate,
/// after one untimed warm-up build each, and the medians are compared. The compiler's own account of the time spent in
/// our generator and analyzers (<c>-p:ReportAnalyzer=true</c>) is read from more builds after the timed ones: the median of
/// up to five for the LLM project, one for the project without an LLM library and one in a fresh compiler process.
/// </summary>
/// <remarks>Every build asks for the compiler server (<c>-p:UseSharedCompilation=true</c>, the SDK's default): CI machines,
/// this one included, set <c>UseSharedCompilation=false</c> in the environment, which made every build a fresh compiler
/// process that loaded and compiled our generator and analyzers anew (what the wall clock and the compiler's account then
/// measured). One report build in such a fresh process is still made, and reported beside the others. The server is shut
/// down when the builds are done.</remarks>
internal static partial class BuildOverhead
{
    public sealed record Result(
        int Interfaces, int CallSites, int Runs,
        double LlmWithMs, double LlmWithoutMs, double PlainWithMs, double PlainWithoutMs,
        CompilerReport LlmReport, CompilerReport PlainReport, CompilerReport FreshCompilerReport)
    {
        /// <summary>Wall time of the build with the generator and analyzers over the same code's build without them, in percent.</summary>
        public double OverheadPercent => (LlmWithMs / LlmWithoutMs - 1) * 100;

        /// <summary>The same on a project that references no LLM library (the analyzers should stop at compilation start).</summary>
        public double NoLlmOverheadPercent => (PlainWithMs / PlainWithoutMs - 1) * 100;

        /// <summary>The compiler's own account of our generator and analyzers (summed over its threads, so an upper bound
        /// on their wall time) over the build without them, in percent: steadier than the wall-clock difference.</summary>
        public double ReportedOverheadPercent => (LlmReport.GuardedAIAnalyzersMs + LlmReport.GeneratorMs) / LlmWithoutMs * 100;

        /// <summary>The same on the project that references no LLM library.</summary>
        public double NoLlmReportedOverheadPercent => (PlainReport.GuardedAIAnalyzersMs + PlainReport.GeneratorMs) / PlainWithoutMs * 100;

        /// <summary>The compiler's account of our generator and analyzers in a compiler process of its own (no server):
        /// loading and compiling them is in it.</summary>
        public double FreshCompilerReportedMs => FreshCompilerReport.GuardedAIAnalyzersMs + FreshCompilerReport.GeneratorMs;
    }

    /// <summary>Seconds the compiler reports for our Roslyn components (summed over its threads) and for all analyzers.</summary>
    public sealed record CompilerReport(double GuardedAIAnalyzersMs, double GeneratorMs, double AllAnalyzersMs, double AllGeneratorsMs)
    {
        /// <summary>Each figure's median over <paramref name="reports"/>.</summary>
        public static CompilerReport Median(IReadOnlyList<CompilerReport> reports) => new(
            Stats.Median(reports.Select(r => r.GuardedAIAnalyzersMs)), Stats.Median(reports.Select(r => r.GeneratorMs)),
            Stats.Median(reports.Select(r => r.AllAnalyzersMs)), Stats.Median(reports.Select(r => r.AllGeneratorsMs)));
    }

    /// <summary>Writes the projects without building them (the smoke run's path).</summary>
    public static BuildProjects WriteOnly(int interfaces, int callSites)
    {
        var projects = new BuildProjects(Path.Combine(Path.GetTempPath(), "guardedai-build-bench", $"{interfaces}x{callSites}"), interfaces, callSites);
        projects.Write(RepositoryOutputs.Locate());
        return projects;
    }

    /// <summary>Times <paramref name="runs"/> builds of each LLM project and <paramref name="plainRuns"/> (default: as many)
    /// of each project without an LLM library, alternated.</summary>
    public static Result Run(int interfaces, int callSites, int runs, bool warmUp = true, int? plainRuns = null)
    {
        var projects = WriteOnly(interfaces, callSites);
        var root = projects.Root;
        Restore(projects);
        var revision = 0;
        // Every build follows an edit of one source file, or MSBuild would find the output up to date and skip the compiler.
        // Each asks for the compiler server unless told otherwise (see the class remarks).
        (double Ms, string Log) EditAndBuild(string project, bool report = false, bool sharedCompiler = true, params string[] extra)
        {
            var source = project == projects.LlmWith || project == projects.LlmWithout ? "llm-src" : "plain-src";
            BuildProjects.WriteEdit(projects.EditFile(source), ++revision);
            var watch = Stopwatch.StartNew();
            var log = Dotnet([.. Build(project, report), sharedCompiler ? "-p:UseSharedCompilation=true" : "-p:UseSharedCompilation=false", .. extra]);
            return (watch.Elapsed.TotalMilliseconds, log);
        }

        try
        {
            var captured = Path.Combine(projects.Root, "captured");
            if (Directory.Exists(captured)) Directory.Delete(captured, recursive: true);
            EditAndBuild(projects.LlmWith, false, true, "-p:EmitCompilerGeneratedFiles=true", $"-p:CompilerGeneratedFilesOutputPath={captured}");
            CaptureGeneratorOutput(projects, captured);

            // Warm-up: the first build of each project (compiler server start, analyzer assemblies loaded, JIT) is not timed.
            EditAndBuild(projects.LlmWith);
            EditAndBuild(projects.PlainWith);
            if (warmUp)
            {
                EditAndBuild(projects.LlmWithout);
                EditAndBuild(projects.PlainWithout);
            }

            var times = new Dictionary<string, List<double>> { [projects.LlmWith] = [], [projects.LlmWithout] = [], [projects.PlainWith] = [], [projects.PlainWithout] = [] };
            for (var i = 0; i < Math.Max(runs, plainRuns ?? runs); i++)
            {
                // Alternate, and swap which goes first each round, so load on the shared machine falls on both alike.
                string[] order = i % 2 == 0
                    ? [projects.LlmWithout, projects.LlmWith, projects.PlainWithout, projects.PlainWith]
                    : [projects.LlmWith, projects.LlmWithout, projects.PlainWith, projects.PlainWithout];
                foreach (var project in order)
                {
                    var plain = project == projects.PlainWith || project == projects.PlainWithout;
                    if (i < (plain ? plainRuns ?? runs : runs)) times[project].Add(EditAndBuild(project).Ms);
                }
            }
            // The compiler's own account, read after the timed builds: from the server as they left it (our assemblies loaded
            // and their code compiled by the runtime's later tiers, as in a developer's day), and from a build in a compiler
            // process of its own, as a machine without the server (or a CI build) compiles.
            // The account of one build moved by 3× from run to run (our generator 56–178 ms in three builds of one day), so
            // the LLM project's is the median of up to five report builds, each figure on its own.
            var llmReports = new List<CompilerReport>();
            for (var i = 0; i < Math.Clamp(runs, 1, 5); i++) llmReports.Add(Report(EditAndBuild(projects.LlmWith, report: true).Log));
            var llmReport = CompilerReport.Median(llmReports);
            var plainReport = Report(EditAndBuild(projects.PlainWith, report: true).Log);
            var freshReport = Report(EditAndBuild(projects.LlmWith, report: true, sharedCompiler: false).Log);
            return new Result(interfaces, callSites, runs,
                Median(times[projects.LlmWith]), Median(times[projects.LlmWithout]), Median(times[projects.PlainWith]), Median(times[projects.PlainWithout]),
                llmReport, plainReport, freshReport);
        }
        finally
        {
            // The compiler server the builds started (or found) is not left running after them.
            Dotnet(["build-server", "shutdown", "--vbcscompiler"]);
        }
    }

    /// <summary>Restores the four projects (a no-op when nothing changed).</summary>
    public static void Restore(BuildProjects projects) => Dotnet(["restore", Path.Combine(projects.Root, "BuildBench.slnx"), "-nologo", "-v:q"]);

    /// <summary>
    /// After a build of <c>llm-with</c> that wrote the generated files to disk, and copies our generator's files into
    /// <c>llm-without</c>: the "without" build then compiles exactly the code the generator would have added.
    /// </summary>
    private static void CaptureGeneratorOutput(BuildProjects projects, string captured)
    {
        var ours = Path.Combine(captured, "GuardedAI.Generator");
        var files = Directory.Exists(ours) ? Directory.GetFiles(ours, "*.cs", SearchOption.AllDirectories) : [];
        if (files.Length != projects.Interfaces)
        {
            throw new InvalidOperationException($"The generator wrote {files.Length} files for {projects.Interfaces} [LlmBudget] interfaces (under {ours}).");
        }
        foreach (var old in Directory.GetFiles(projects.CapturedGeneratorOutput, "*.cs")) File.Delete(old);
        foreach (var file in files) File.Copy(file, Path.Combine(projects.CapturedGeneratorOutput, Path.GetFileName(file)));
    }

    private static string[] Build(string project, bool report = false) => report
        ? ["build", project, "--no-restore", "-nologo", "-v:d", "-p:ReportAnalyzer=true"]
        : ["build", project, "--no-restore", "-nologo", "-v:q", "-clp:NoSummary"];

    /// <summary>Reads the compiler's <c>/reportanalyzer</c> tables out of a detailed build log.</summary>
    internal static CompilerReport Report(string log)
    {
        double Total(string kind) => TotalLine().Matches(log).Where(m => m.Groups["kind"].Value == kind).Select(m => Seconds(m.Groups["s"].Value)).DefaultIfEmpty(0).Max() * 1000;
        double Assembly(string name) => AssemblyLine().Matches(log).Where(m => m.Groups["name"].Value == name).Select(m => Seconds(m.Groups["s"].Value)).DefaultIfEmpty(0).Max() * 1000;
        if (!TotalLine().IsMatch(log)) throw new InvalidOperationException("The build log has no analyzer report (-p:ReportAnalyzer=true):\n" + log[^Math.Min(log.Length, 4000)..]);
        return new CompilerReport(
            Assembly("GuardedAI.Analyzers") + Assembly("GuardedAI.CodeFixes"),
            Assembly("GuardedAI.Generator"),
            Total("analyzer"),
            Total("generator"));
    }

    private static double Seconds(string text) => text.StartsWith('<') ? 0 : double.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Total (?<kind>analyzer|generator) execution time: (?<s>[\d.]+) seconds")]
    private static partial Regex TotalLine();

    // "   0.123    4   GuardedAI.Analyzers, Version=0.1.0.0, Culture=neutral, PublicKeyToken=null"
    [GeneratedRegex(@"^\s*(?<s><?[\d.]+)\s+(?<p><?\d+)\s+(?<name>[\w.]+), Version=", RegexOptions.Multiline)]
    private static partial Regex AssemblyLine();

    /// <summary>Runs dotnet with the given arguments; returns its output, or throws with it when the command fails.</summary>
    private static string Dotnet(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // A build started from inside `dotnet run`/`dotnet test` must not inherit that build's MSBuild settings.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList()) start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}):\n{stdout[^Math.Min(stdout.Length, 6000)..]}\n{stderr.Result}");
        }
        return stdout;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
