using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Where our share of a build goes, in process and one thread at a time (<c>buildprofile</c>): the generated
/// <c>llm-src</c> project compiled with Roslyn directly, as <c>csc</c> does per build — the generator run by a fresh
/// driver (a command-line build has no generator cache unless <c>Features=enable-generator-cache</c>), each of our
/// analyzers timed by the compiler's own telemetry, and the compilation's emit (what the build does anyway) beside them.
/// Every figure is a median of several runs on a fresh compilation, so the machine's load affects each part alike.
/// </summary>
internal static class BuildProfile
{
    public static void Run(int interfaces, int callSites, int runs)
    {
        var (fresh, parse) = Project(interfaces, callSites);
        var outputs = RepositoryOutputs.Locate();

        var generatorAssembly = Assembly.LoadFrom(outputs.Analyzers.Single(a => a.EndsWith("GuardedAI.Generator.dll", StringComparison.Ordinal)));
        var analyzerAssembly = Assembly.LoadFrom(outputs.Analyzers.Single(a => a.EndsWith("GuardedAI.Analyzers.dll", StringComparison.Ordinal)));
        var generator = GeneratorIn(generatorAssembly);
        var analyzers = analyzerAssembly.GetTypes().Where(t => t.IsSubclassOf(typeof(DiagnosticAnalyzer)) && !t.IsAbstract)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToImmutableArray();

        var generatorMs = new List<double>();
        var emitMs = new List<double>();
        var analyzerMs = analyzers.ToDictionary(a => a.GetType().Name, _ => new List<double>());
        var marginalMs = new List<double>();
        var standInMs = new List<double>();
        Compilation? generated = null;
        for (var i = 0; i < runs + 1; i++)
        {
            var watch = Stopwatch.StartNew();
            var driver = CSharpGeneratorDriver.Create([generator], parseOptions: parse).RunGeneratorsAndUpdateCompilation(fresh(), out generated, out var diagnostics);
            var generatorTime = watch.Elapsed.TotalMilliseconds;
            if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) throw new InvalidOperationException(string.Join("\n", diagnostics));

            // Analyzers over a fresh copy of the generated compilation (a compilation caches its binding).
            // Its references bound first: the build binds them anyway, and the first analyzer to ask would be charged for it.
            // Every default build also runs the SDK's analyzers, whose operation actions build each method body's operation
            // tree; a stand-in that does only that runs alone, then with ours: the difference is what ours add.
            var alone = AnalyzeMs(generated, [new OperationTreeStandIn()], out _);
            var together = AnalyzeMs(generated, [new OperationTreeStandIn(), .. analyzers], out var telemetry);

            watch.Restart();
            var emit = generated.WithOptions(generated.Options).Emit(Stream.Null);
            var emitTime = watch.Elapsed.TotalMilliseconds;
            if (!emit.Success) throw new InvalidOperationException(string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
            if (i == 0) continue; // the first round pays for JIT and assembly loading
            generatorMs.Add(generatorTime);
            marginalMs.Add(together - alone);
            standInMs.Add(alone);
            emitMs.Add(emitTime);
            foreach (var (name, ms) in telemetry) if (analyzerMs.TryGetValue(name, out var list)) list.Add(ms);
        }

        Console.WriteLine($"{interfaces} [LlmBudget] interfaces, {callSites} call sites, median of {runs} runs (ms):");
        Console.WriteLine($"  compile and emit (the build's own work)   {Stats.Median(emitMs),8:0.0}");
        Console.WriteLine($"  generator (fresh driver, as csc runs it)   {Stats.Median(generatorMs),8:0.0}");
        Console.WriteLine($"  analysis, operation-tree stand-in alone     {Stats.Median(standInMs),8:0.0}");
        Console.WriteLine($"  our analyzers added to it (wall)           {Stats.Median(marginalMs),8:0.0}");
        Console.WriteLine("  each analyzer's own telemetry (with the stand-in):");
        foreach (var (name, times) in analyzerMs.OrderByDescending(p => Stats.Median(p.Value))) Console.WriteLine($"    {name,-40} {Stats.Median(times),8:0.0}");
        var ours = Stats.Median(generatorMs) + Stats.Median(marginalMs);
        Console.WriteLine($"  generator + analyzers added, over compile and emit: {ours / Stats.Median(emitMs) * 100:0.0} %");
    }

    /// <summary>The <c>llm-src</c> project written and restored: a fresh compilation of it on each call, and its parse options.</summary>
    private static (Func<CSharpCompilation> Fresh, CSharpParseOptions Parse) Project(int interfaces, int callSites)
    {
        var projects = BuildOverhead.WriteOnly(interfaces, callSites);
        BuildOverhead.Restore(projects);
        var references = ReferencePaths(projects.LlmWith).Select(p => MetadataReference.CreateFromFile(p)).ToList();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        // The SDK's implicit usings for a console project, as the build adds them.
        const string globalUsings = "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
            "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";
        var trees = Directory.GetFiles(Path.Combine(projects.Root, "llm-src"), "*.cs", SearchOption.AllDirectories)
            .Select(p => CSharpSyntaxTree.ParseText(File.ReadAllText(p), parse, p))
            .Append(CSharpSyntaxTree.ParseText(globalUsings, parse, "GlobalUsings.g.cs")).ToList();
        var options = new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable);
        return (() => CSharpCompilation.Create("BuildBench", trees, references, options), parse);
    }

    /// <summary>
    /// Two builds of the generator side by side (<c>generatorab A.dll B.dll</c>, a development aid): each loaded in an
    /// assembly load context of its own, run alternately on fresh compilations of the same project, so that the machine's
    /// drift from one minute to the next falls on both alike. Prints each one's median and the median of the paired
    /// differences.
    /// </summary>
    public static void CompareGenerators(string pathA, string pathB, int interfaces, int callSites, int runs)
    {
        var (fresh, parse) = Project(interfaces, callSites);
        ISourceGenerator Load(string path, string name)
        {
            // Roslyn itself comes from the default context: both generators then see the same Microsoft.CodeAnalysis types.
            var context = new System.Runtime.Loader.AssemblyLoadContext(name);
            return GeneratorIn(context.LoadFromAssemblyPath(Path.GetFullPath(path)));
        }
        var generators = new[] { Load(pathA, "A"), Load(pathB, "B") };
        var times = new[] { new List<double>(), new List<double>() };
        string? firstOutput = null;
        for (var i = 0; i < runs + 1; i++)
        {
            for (var g = 0; g < 2; g++)
            {
                var watch = Stopwatch.StartNew();
                var driver = CSharpGeneratorDriver.Create([generators[g]], parseOptions: parse).RunGenerators(fresh());
                var elapsed = watch.Elapsed.TotalMilliseconds;
                // Both must generate the same files, or the comparison compares different work.
                var output = string.Concat(driver.GetRunResult().GeneratedTrees.Select(t => t.GetText().ToString()));
                if (firstOutput is null) firstOutput = output;
                else if (output != firstOutput) throw new InvalidOperationException("The two generators produce different sources.");
                if (i > 0) times[g].Add(elapsed); // the first round pays for JIT and assembly loading
            }
        }
        var differences = times[1].Zip(times[0], (b, a) => b - a);
        Console.WriteLine($"{interfaces} interfaces, {runs} alternated runs (ms): A {Stats.Median(times[0]):0.0}, B {Stats.Median(times[1]):0.0}, median of B − A {Stats.Median(differences):0.0}");
    }

    /// <summary>The incremental generator <paramref name="assembly"/> holds, as the driver runs it.</summary>
    private static ISourceGenerator GeneratorIn(Assembly assembly) =>
        ((IIncrementalGenerator)Activator.CreateInstance(assembly.GetTypes().Single(t => typeof(IIncrementalGenerator).IsAssignableFrom(t)))!).AsSourceGenerator();

    /// <summary>Wall time of one analysis of a fresh copy of <paramref name="compilation"/> (references bound beforehand).</summary>
    private static double AnalyzeMs(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, out Dictionary<string, double> telemetry)
    {
        var copy = compilation.WithOptions(compilation.Options);
        _ = copy.GetTypeByMetadataName("System.Object");
        var watch = Stopwatch.StartNew();
        var analyzed = copy.WithAnalyzers(analyzers,
            new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
        analyzed.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        telemetry = analyzers.ToDictionary(a => a.GetType().Name, a => analyzed.GetAnalyzerTelemetryInfoAsync(a, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime.TotalMilliseconds);
        return elapsed;
    }

    /// <summary>Stands in for the SDK's analyzers: an operation action on every invocation that does nothing.</summary>
#pragma warning disable RS1001, RS1036, RS1041, RS2008 // a benchmark's stand-in, never loaded by a compiler
    private sealed class OperationTreeStandIn : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Rule = new("BENCH001", "stand-in", "stand-in", "Bench", DiagnosticSeverity.Hidden, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Rule];

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationAction(_ => { }, OperationKind.Invocation);
        }
    }
#pragma warning restore RS1001, RS1036, RS1041, RS2008

    /// <summary>The reference paths MSBuild resolves for the project (<c>-getItem:ReferencePathWithRefAssemblies</c>).</summary>
    private static List<string> ReferencePaths(string project)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "msbuild", project, "-t:FindReferenceAssembliesForReferences", "-getItem:ReferencePathWithRefAssemblies", "-nologo" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("Items").GetProperty("ReferencePathWithRefAssemblies").EnumerateArray()
            .Select(e => e.GetProperty("FullPath").GetString()!).ToList();
    }
}
