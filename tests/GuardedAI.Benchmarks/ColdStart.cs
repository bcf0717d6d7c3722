using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Process start → first call, in a fresh process each time (<c>coldstart bare|guarded</c>): a bare client's first call,
/// and the first call through <c>UseBudget</c> with the default engine and a 60-byte prompt. The child reports the time
/// since its own process started and its peak working set; the parent takes the medians. <c>openai-bare|openai-guarded</c>
/// make the same first call with a real client, OpenAI's SDK through Microsoft.Extensions.AI, against the loopback
/// server <see cref="ColdStartOpenAi"/> runs: what an app pays before its first answer either way.
/// </summary>
internal static class ColdStart
{
    /// <summary>The child: one first call, then "COLDSTART ms peakBytes".</summary>
    public static async Task<int> ChildAsync(string mode)
    {
        var trace = Environment.GetEnvironmentVariable("GUARDEDAI_COLDSTART_TRACE") == "1";
        using var jitLog = Environment.GetEnvironmentVariable("GUARDEDAI_COLDSTART_JITLOG") is { Length: > 0 } jitLogPath ? new JitLog(jitLogPath) : null;
        // Steps are stamped as they pass and printed at the end, so that the tracing itself (the process API, the
        // console) is not charged to the step after it.
        // Arrays, not a list of tuples: a generic instantiation over a struct would be compiled in every child.
        var steps = new string[16];
        var stamps = new long[16];
        // Methods this thread compiled just in time, and the time the JIT took for them, at each step.
        var jitted = new long[16];
        var jitTicks = new long[16];
        var marked = 0;
        void Mark(string step)
        {
            if (!trace) return;
            stamps[marked] = Stopwatch.GetTimestamp();
            jitted[marked] = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
            jitTicks[marked] = System.Runtime.JitInfo.GetCompilationTime(currentThread: true).Ticks;
            steps[marked++] = step;
        }
        Mark("main");
        // A development aid (GUARDEDAI_COLDSTART_ASSEMBLIES=1): each assembly loaded after main, when and on which thread.
        var loads = Environment.GetEnvironmentVariable("GUARDEDAI_COLDSTART_ASSEMBLIES") == "1" ? new List<string>() : null;
        var mainStamp = loads is null ? 0 : Stopwatch.GetTimestamp();
        if (loads is not null)
        {
            AppDomain.CurrentDomain.AssemblyLoad += (_, e) =>
            {
                var at = Stopwatch.GetElapsedTime(mainStamp).TotalMilliseconds;
                var name = e.LoadedAssembly.GetName().Name;
                // GUARDEDAI_COLDSTART_WHY=name: where that assembly is first needed.
                var why = name == Environment.GetEnvironmentVariable("GUARDEDAI_COLDSTART_WHY") ? "\n" + Environment.StackTrace : "";
                lock (loads) loads.Add(FormattableString.Invariant($"  +{at:0.0} ms thread {Environment.CurrentManagedThreadId}: {name}{why}"));
            };
        }
        IChatClient client = mode.StartsWith("openai-", StringComparison.Ordinal) ? OpenAiChatClient() : new InstantChatClient();
        BudgetEngine? engine = null;
        if (mode is "guarded" or "openai-guarded")
        {
            if (Environment.GetEnvironmentVariable("GUARDEDAI_COLDSTART_SPLIT") == "1")
            {
                // The engine's default parts built one by one first, so the trace shows what each costs.
                var prices = PriceCatalog.CreateDefault();
                Mark("price catalog");
                var ledger = new InMemoryUsageLedger();
                Mark("ledger");
                var store = new InMemoryBudgetCounterStore(TimeProvider.System);
                Mark("store");
                var tokenizers = new TokenCounterRegistry();
                Mark("tokenizers");
                engine = new BudgetEngine(new BudgetEngineOptions { Prices = prices, Ledger = ledger, Store = store, Tokenizers = tokenizers });
            }
            else
            {
                engine = new BudgetEngine();
            }
            Mark("engine");
            var policy = Fixtures.SixLimits("cold");
            Mark("policy");
            client = new ChatClientBuilder(client).UseBudget(engine, policy).Build();
            Mark("pipeline");
            // The behaviour before background loading: the first call waited for the vocabulary.
            if (Environment.GetEnvironmentVariable("GUARDEDAI_COLDSTART_WAIT") == "1") await TokenCounterRegistry.LoadAsync();
        }
        else
        {
            client = new ChatClientBuilder(client).Use(inner => new Passthrough(inner)).Build();
        }
        await client.GetResponseAsync("Where is my order #4711? It was due on Monday, thanks.");
        // The end is stamped in UTC before anything else: the local clock (DateTime.Now, and Process.StartTime, which is
        // local) loads the machine's time zone on first use, ~16 ms here, which a measurement taken with it charged to
        // whichever app had not loaded it yet — the bare client always, the guarded one only when GuardedAI had not.
        var end = DateTime.UtcNow;
        var firstCallDone = loads is null ? 0 : Stopwatch.GetElapsedTime(mainStamp).TotalMilliseconds;
        var process = Process.GetCurrentProcess();
        var elapsed = end - process.StartTime.ToUniversalTime();
        process.Refresh();
        Mark("first call");
        jitLog?.Mark("first call done");
        if (trace)
        {
            // Process start → now, minus the stopwatch's now → each mark: when each step ended since the process started.
            var startToNow = DateTime.Now - process.StartTime;
            var now = Stopwatch.GetTimestamp();
            var previous = 0.0;
            for (var i = 0; i < marked; i++)
            {
                var since = (startToNow - Stopwatch.GetElapsedTime(stamps[i], now)).TotalMilliseconds;
                var methods = jitted[i] - (i == 0 ? 0 : jitted[i - 1]);
                var jitMs = TimeSpan.FromTicks(jitTicks[i] - (i == 0 ? 0 : jitTicks[i - 1])).TotalMilliseconds;
                Console.WriteLine(FormattableString.Invariant($"  {steps[i]}: at {since:0.0} ms (+{since - previous:0.0}; this thread compiled {methods} methods in {jitMs:0.0} ms)"));
                previous = since;
            }
            Console.WriteLine(FormattableString.Invariant($"  every thread: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0.0} ms"));
        }
        // A development aid: the assemblies loaded by the end of the first call, in load order.
        if (loads is not null)
        {
            foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies()) Console.WriteLine("  assembly " + assembly.GetName().Name);
            lock (loads) foreach (var load in loads) Console.WriteLine(load);
            Console.WriteLine(FormattableString.Invariant($"  +{firstCallDone:0.0} ms: the first call returned"));
        }
        Console.WriteLine(FormattableString.Invariant($"COLDSTART {elapsed.TotalMilliseconds:0.0} {process.PeakWorkingSet64}"));
        if (engine is not null) await engine.DisposeAsync();
        return 0;
    }

    /// <summary>OpenAI's chat client for the loopback server at <c>GUARDEDAI_COLDSTART_OPENAI_URL</c>. A method of its own, not
    /// inlined, so that the other modes never load the SDK.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static IChatClient OpenAiChatClient()
    {
        var url = Environment.GetEnvironmentVariable("GUARDEDAI_COLDSTART_OPENAI_URL")
            ?? throw new InvalidOperationException("GUARDEDAI_COLDSTART_OPENAI_URL is not set: the openai-* modes call the parent's loopback server.");
        var options = new OpenAI.OpenAIClientOptions { Endpoint = new Uri(url) };
        return new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential("cold-start"), options).GetChatClient("gpt-4o-mini").AsIChatClient();
    }

    /// <summary>
    /// A development aid (<c>GUARDEDAI_COLDSTART_JITLOG=file</c>): each method the JIT compiles, with the thread that
    /// compiled it (<c>main</c> or another), from the runtime's own events, written to the file when the child ends. It
    /// slows the child down; use it to see what the first call waits for, not to time it.
    /// </summary>
    private sealed class JitLog : System.Diagnostics.Tracing.EventListener
    {
        private readonly string _path;
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
        private readonly long _mainThread = Environment.ProcessId;

        public JitLog(string path) => _path = path;

        public void Mark(string text) => _lines.Enqueue("---- " + text);

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
        {
            // Keywords 0x10: the JIT's method events; 0x8: the loader's (which thread loaded which assembly).
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x18);
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
        {
            if (e.Payload is null) return;
            var names = e.PayloadNames!;
            string Field(string name) => names.IndexOf(name) is >= 0 and var i ? e.Payload[i]?.ToString() ?? "" : "";
            var thread = e.OSThreadId == _mainThread ? "main" : "other";
            if (e.EventName is "MethodLoadVerbose_V2" or "MethodLoadVerbose_V1" or "MethodLoadVerbose")
                _lines.Enqueue($"{thread} {Field("MethodNamespace")}::{Field("MethodName")}");
            else if (e.EventName?.StartsWith("AssemblyLoad", StringComparison.Ordinal) == true)
                _lines.Enqueue($"{thread} ASSEMBLY {Field("FullyQualifiedAssemblyName")}");
        }

        public override void Dispose()
        {
            base.Dispose();
            File.WriteAllLines(_path, _lines);
        }
    }

    public sealed record Result(double BareMs, double GuardedMs, long BarePeakBytes, long GuardedPeakBytes)
    {
        public double Ratio => GuardedMs / BareMs;
    }

    /// <summary>The children run from this program's own build (just-in-time compiled, as <c>dotnet run</c> runs an app).</summary>
    public static Result Run(int runs) => Run(runs, typeof(ColdStart).Assembly.Location);

    /// <summary>The children run from <paramref name="program"/> (e.g. the ReadyToRun publish of <see cref="ColdStartApp"/>).</summary>
    public static Result Run(int runs, string program) => Run(runs, program, "bare", "guarded", environment: null);

    /// <summary>The two modes alternated <paramref name="runs"/> times, each child with <paramref name="environment"/> added.</summary>
    internal static Result Run(int runs, string program, string bareMode, string guardedMode, IReadOnlyDictionary<string, string>? environment)
    {
        var bare = new List<(double Ms, long Peak)>();
        var guarded = new List<(double Ms, long Peak)>();
        for (var i = 0; i < runs; i++)
        {
            bare.Add(Spawn(program, bareMode, environment));
            guarded.Add(Spawn(program, guardedMode, environment));
        }
        return new Result(Stats.Median(bare.Select(b => b.Ms)), Stats.Median(guarded.Select(g => g.Ms)), (long)Stats.Median(bare.Select(b => (double)b.Peak)), (long)Stats.Median(guarded.Select(g => (double)g.Peak)));
    }

    private static (double Ms, long Peak) Spawn(string program, string mode, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (environment is not null)
        {
            foreach (var (name, value) in environment) start.Environment[name] = value;
        }
        start.ArgumentList.Add(program);
        start.ArgumentList.Add("coldstart");
        start.ArgumentList.Add(mode);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("COLDSTART ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The cold-start child ({mode}) printed no result: {output} {process.StandardError.ReadToEnd()}");
        var parts = line.Split(' ');
        return (double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    private sealed class Passthrough(IChatClient inner) : DelegatingChatClient(inner);
}
