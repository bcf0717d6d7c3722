using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Runs every comparison and prints one JSON object as the last line. <c>--quick</c>: BenchmarkDotNet in process with few
/// iterations (a few minutes); <c>--full</c>: BenchmarkDotNet's default job, each benchmark in its own process;
/// <c>--smoke</c>: every code path once on tiny data, no BenchmarkDotNet (the test suite runs this; its numbers mean nothing).
/// A ratio is ours divided by the peer's, both measured in the same run.
/// </summary>
internal static class Runner
{
    public static async Task<int> RunAsync(string mode, long monthRecords)
    {
        var smoke = mode == "smoke";
        BenchmarkScale.Smoke = smoke;
        var json = new JsonObject
        {
            ["mode"] = mode,
            ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}",
        };

        // How long each part of the run took: --quick must finish in under five minutes, and this says where the time goes.
        var stages = new JsonObject();
        var total = Stopwatch.StartNew();
        var stage = Stopwatch.StartNew();
        void Stage(string name)
        {
            stages[name] = Math.Round(stage.Elapsed.TotalSeconds, 1);
            stage.Restart();
        }

        // Five iterations for the guard and reserve classes, whose figures are the headline: a collection of the
        // large heap can land in one iteration, and the median of five leaves out two such.
        var guard = Run<GuardBenchmarks>(mode, iterations: 5);
        var bare = guard.Median(nameof(GuardBenchmarks.BareCall));
        json["guard_overhead_ns"] = guard.Median(nameof(GuardBenchmarks.GuardedCachedPrompt)) - bare;
        json["new_prompt_overhead_ns"] = guard.Median(nameof(GuardBenchmarks.GuardedNewMessage)) - bare;
        json["new_message_tokenize_ns"] = guard.Median(nameof(GuardBenchmarks.Tokenize60Bytes));
        json["allocated_bytes_per_call"] = guard.Allocated(nameof(GuardBenchmarks.GuardedCachedPrompt)) - guard.Allocated(nameof(GuardBenchmarks.BareCall));
        // The same call with its budget past the warning level (85 % of its day), as a busy budget is for hours.
        json["guard_near_limit_overhead_ns"] = guard.Median(nameof(GuardBenchmarks.GuardedNearLimit)) - bare;
        json["near_limit_allocated_bytes_per_call"] = guard.Allocated(nameof(GuardBenchmarks.GuardedNearLimit)) - guard.Allocated(nameof(GuardBenchmarks.BareCall));
        // On behalf of one of a thousand tenants in turn, each with its tier's limits.
        json["guard_tenant_overhead_ns"] = guard.Median(nameof(GuardBenchmarks.GuardedTenant)) - bare;
        json["tenant_allocated_bytes_per_call"] = guard.Allocated(nameof(GuardBenchmarks.GuardedTenant)) - guard.Allocated(nameof(GuardBenchmarks.BareCall));
        // In one of a thousand conversations in turn, under a budget with a per-conversation limit.
        json["guard_conversation_overhead_ns"] = guard.Median(nameof(GuardBenchmarks.GuardedConversation)) - bare;
        json["conversation_allocated_bytes_per_call"] = guard.Allocated(nameof(GuardBenchmarks.GuardedConversation)) - guard.Allocated(nameof(GuardBenchmarks.BareCall));
        // Over a provider that answers after the call returned its task, as every real one does: against the bare client over the same provider.
        json["guard_answers_later_overhead_ns"] = guard.Median(nameof(GuardBenchmarks.GuardedAnswerLater)) - guard.Median(nameof(GuardBenchmarks.BareAnswerLater));
        json["answers_later_allocated_bytes_per_call"] = guard.Allocated(nameof(GuardBenchmarks.GuardedAnswerLater)) - guard.Allocated(nameof(GuardBenchmarks.BareAnswerLater));

        Stage("guard");
        // A streamed response of one update and of 100, read to its end: what the call costs once, and what each update adds.
        var streaming = Run<StreamingBenchmarks>(mode);
        var streamedOnce = streaming.Median(nameof(StreamingBenchmarks.Guarded), 1) - streaming.Median(nameof(StreamingBenchmarks.Bare), 1);
        var streamed = streaming.Median(nameof(StreamingBenchmarks.Guarded), StreamingBenchmarks.LongStream) - streaming.Median(nameof(StreamingBenchmarks.Bare), StreamingBenchmarks.LongStream);
        json["streaming_overhead_ns"] = streamed;
        json["streaming_overhead_per_update_ns"] = (streamed - streamedOnce) / (StreamingBenchmarks.LongStream - 1);
        json["streaming_allocated_bytes"] = streaming.Allocated(nameof(StreamingBenchmarks.Guarded), StreamingBenchmarks.LongStream)
            - streaming.Allocated(nameof(StreamingBenchmarks.Bare), StreamingBenchmarks.LongStream);
        // 64 callers reading 100-update streams at once: streams per second, ours and the bare client's.
        json["streamed_per_sec_64"] = 1e9 * StreamingBenchmarks.StreamsPerCaller / streaming.Median(nameof(StreamingBenchmarks.Guarded64), StreamingBenchmarks.LongStream);
        json["bare_streamed_per_sec_64"] = 1e9 * StreamingBenchmarks.StreamsPerCaller / streaming.Median(nameof(StreamingBenchmarks.Bare64), StreamingBenchmarks.LongStream);

        Stage("streaming");
        var reserve = Run<ReserveCommitBenchmarks>(mode, iterations: 5);
        json["reserve_commit_ns"] = reserve.Median(nameof(ReserveCommitBenchmarks.ReserveCommit));
        json["token_buckets_ns"] = reserve.Median(nameof(ReserveCommitBenchmarks.TokenBuckets));
        json["reserve_commit_allocated_bytes"] = reserve.Allocated(nameof(ReserveCommitBenchmarks.ReserveCommit));
        json["guard_vs_limiter_ratio"] = reserve.Median(nameof(ReserveCommitBenchmarks.ReserveCommit)) / reserve.Median(nameof(ReserveCommitBenchmarks.TokenBuckets));
        json["guarded_pairs_per_sec_64"] = 1e9 / reserve.Median(nameof(ReserveCommitBenchmarks.ReserveCommit64));
        json["token_bucket_pairs_per_sec_64"] = 1e9 / reserve.Median(nameof(ReserveCommitBenchmarks.TokenBuckets64));
        // The same ratio from alternating blocks of each side (InterleavedRatio): steadier on a machine whose speed drifts.
        var interleaved = await InterleavedRatio.MeasureAsync(blocks: BenchmarkScale.Pick(41, 3), pairsPerBlock: BenchmarkScale.Pick(5_000, 50));
        json["guard_vs_limiter_ratio_interleaved"] = interleaved.Ratio;
        json["reserve_commit_interleaved_ns"] = interleaved.PairNs;
        json["token_buckets_interleaved_ns"] = interleaved.BucketsNs;

        Stage("reserve_commit");
        int[] sizes = [60, 4096, 102_400];
        var tokens = Run<TokenizerBenchmarks>(mode);
        var ratios = new JsonObject();
        var worst = double.MaxValue;
        foreach (var size in sizes)
        {
            var ours = tokens.Median(nameof(TokenizerBenchmarks.GuardedAI), size);
            var ratio = tokens.Median(nameof(TokenizerBenchmarks.SharpToken), size) / ours; // throughput: ours over SharpToken's
            ratios[size.ToString(CultureInfo.InvariantCulture)] = ratio;
            json[$"tokenize_{size}_bytes_ns"] = ours;
            worst = Math.Min(worst, ratio);
        }
        json["tokenizer_vs_sharptoken_throughput_ratio"] = worst;
        json["tokenizer_vs_sharptoken_throughput_ratio_by_size"] = ratios;
        if (smoke)
        {
            json["tokenizer_vs_tiktoken_throughput_ratio"] = null;
            json["tiktoken_note"] = "not run in smoke mode";
        }
        else
        {
            var (tiktoken, why) = TiktokenReference.Run(sizes);
            var vsTiktoken = new JsonObject();
            foreach (var t in tiktoken ?? []) vsTiktoken[t.Bytes.ToString(CultureInfo.InvariantCulture)] = t.Nanoseconds / tokens.Median(nameof(TokenizerBenchmarks.GuardedAI), t.Bytes);
            json["tokenizer_vs_tiktoken_throughput_ratio"] = tiktoken is null ? null : vsTiktoken.Select(p => (double)p.Value!).Min();
            json["tokenizer_vs_tiktoken_throughput_ratio_by_size"] = tiktoken is null ? null : vsTiktoken;
            if (why is not null) json["tiktoken_note"] = why;
        }

        Stage("tokenizers");
        var conversation = Run<ConversationBenchmarks>(mode);
        json["conversation_estimate_ns"] = conversation.Median(nameof(ConversationBenchmarks.GuardedAI));
        json["conversation_full_recount_ns"] = conversation.Median(nameof(ConversationBenchmarks.FullRecount));

        Stage("conversation");
        if (RedisBenchmarks.Available)
        {
            // Pairs64 times the steady state of 64 callers that run throughout (SteadyCallers). Pairs64StartedAndAwaited
            // starts and awaits its callers in each invocation, as Pairs64 did until the twenty-fourth round: its batches are
            // small at both ends of each invocation, and its figure moved far from the latency run's from one run to the next.
            // One-second iterations, so that it still reads its figure over several invocations.
            var redis = Run<RedisBenchmarks>(mode, iterationMs: 1000);
            var pairsPerSecond = 1e9 / redis.Median(nameof(RedisBenchmarks.Pairs64));
            json["redis_pairs_per_sec"] = pairsPerSecond;
            json["redis_started_and_awaited_pairs_per_sec"] = 1e9 / redis.Median(nameof(RedisBenchmarks.Pairs64StartedAndAwaited));
            using var server = RedisServer.Start()!;
            var ceilings = RedisFigures.MeasureCeilings(server, BenchmarkScale.Pick(100_000, 200));
            var instance = new RedisBenchmarks();
            instance.Setup(server);
            try
            {
                var one = await RedisFigures.MeasureCostAsync(server, () => instance.LatencyAsync(TimeSpan.FromSeconds(smoke ? 0.2 : 5)));
                json["redis_p50_ms"] = one.P50Ms;
                json["redis_p99_ms"] = one.P99Ms;
                json["redis_latency_run_pairs_per_sec"] = one.PairsPerSecond;
                json["redis_server_cpu_us_per_pair"] = one.ServerCpuUsPerPair;
                json["redis_client_cpu_us_per_pair"] = one.ClientCpuUsPerPair;
                json["redis_script_us_per_call"] = one.ScriptUsPerCall;
            }
            finally
            {
                instance.Cleanup();
            }
            json["redis_eval_ceiling_per_sec"] = ceilings.TrivialEval.PerSecond;
            json["redis_vs_eval_ceiling_ratio"] = ceilings.TrivialEval.PerSecond is { } c ? pairsPerSecond / c : null;
            json["redis_eval_ceiling_server_cpu_us"] = ceilings.TrivialEval.ServerCpuUs;
            json["redis_reserve_script_ceiling_per_sec"] = ceilings.Reserve.PerSecond;
            json["redis_settle_script_ceiling_per_sec"] = ceilings.Settle.PerSecond;
            json["redis_pair_scripts_server_cpu_us"] = ceilings.PairServerCpuUs;
            json["redis_pair_script_ceiling_per_sec"] = ceilings.Pair;
            json["redis_vs_pair_script_ceiling_ratio"] = ceilings.Pair is { } pc ? pairsPerSecond / pc : null;
            var four = await RedisFigures.MeasureCostAsync(server, () => RedisFigures.ProcessesAsync(server, 4, smoke ? 0.2 : 5));
            json["redis_pairs_per_sec_4proc"] = four.PairsPerSecond;
            json["redis_p50_ms_4proc"] = four.P50Ms;
            json["redis_p99_ms_4proc"] = four.P99Ms;
            json["redis_server_cpu_us_per_pair_4proc"] = four.ServerCpuUsPerPair;
        }
        else
        {
            json["redis_pairs_per_sec"] = null;
            json["redis_started_and_awaited_pairs_per_sec"] = null;
            json["redis_vs_eval_ceiling_ratio"] = null;
            json["redis_pairs_per_sec_4proc"] = null;
            json["redis_p50_ms_4proc"] = null;
            json["redis_p99_ms_4proc"] = null;
            json["redis_note"] = "redis-server is not installed and GUARDEDAI_BENCH_REDIS is not set";
        }

        Stage("redis");
        // Fifteen iterations (each ~5 appends of 1,000 records): the ratio sits near its 0.8 target; three iterations moved
        // it 0.78–0.90 between runs, nine still 0.78–0.90 (runs C–J, no SQLite code changed); `sqlite 15`, medians of 15
        // rounds of the four writers alternated, gives 0.90–1.12. The extra iterations cost ~4 s.
        var sqlite = Run<SqliteAppendBenchmarks>(mode, iterations: 15);
        json["sqlite_appends_vs_raw_ratio"] = sqlite.Median(nameof(SqliteAppendBenchmarks.RawNormal)) / sqlite.Median(nameof(SqliteAppendBenchmarks.LedgerBatched));
        json["sqlite_synchronous_vs_raw_full_ratio"] = sqlite.Median(nameof(SqliteAppendBenchmarks.RawFull)) / sqlite.Median(nameof(SqliteAppendBenchmarks.LedgerSynchronous));
        json["sqlite_batched_appends_per_sec"] = 1e9 / sqlite.Median(nameof(SqliteAppendBenchmarks.LedgerBatched));
        json["sqlite_synchronous_appends_per_sec"] = 1e9 / sqlite.Median(nameof(SqliteAppendBenchmarks.LedgerSynchronous));

        Stage("sqlite");
        var month = await MonthReport.RunAsync(smoke ? 2_000 : monthRecords, smoke ? 1 : 5);
        json["month_report_ms"] = month.ReportMs;
        json["month_report_records"] = month.Records;
        json["month_report_raw_group_by_ms"] = month.RawGroupByMs;
        json["month_report_allocated_bytes"] = month.ReportAllocatedBytes;
        if (month.BuildSeconds > 0) json["month_report_file_built_s"] = month.BuildSeconds;

        Stage("month_report");
        var monthPostgres = await MonthReportPostgres.RunAsync(smoke ? 2_000 : monthRecords, smoke ? 1 : 5);
        json["month_report_postgres_ms"] = monthPostgres?.ReportMs;
        json["month_report_postgres_raw_group_by_ms"] = monthPostgres?.RawGroupByMs;
        if (monthPostgres is null)
        {
            json["month_report_postgres_note"] = "PostgreSQL is not installed and GUARDEDAI_BENCH_POSTGRES is not set";
        }
        else
        {
            json["month_report_postgres_records"] = monthPostgres.Records;
            json["month_report_postgres_allocated_bytes"] = monthPostgres.ReportAllocatedBytes;
            if (monthPostgres.BuildSeconds > 0) json["month_report_postgres_loaded_s"] = monthPostgres.BuildSeconds;
        }

        Stage("month_report_postgres");

        // Verify of a PostgreSQL ledger of 1,000,000 chained records beside a raw read of the same rows (docs/benchmarks.md).
        // --quick times one of each (~8 s; three took ~24 s of its five minutes in a slow phase); --full the median of three.
        if (!smoke && PostgresServer.Available)
        {
            var (verifyMs, rawMs) = await PostgreSqlVerifyBenchmarks.MedianAsync(1_000_000, mode == "quick" ? 1 : 3);
            json["pg_verify_1m_ms"] = verifyMs;
            json["pg_raw_read_1m_ms"] = rawMs;
            json["pg_verify_vs_raw_read_ratio"] = verifyMs / rawMs;
        }
        else
        {
            json["pg_verify_1m_ms"] = null;
            json["pg_verify_note"] = smoke ? "not run in smoke mode" : "PostgreSQL is not installed and GUARDEDAI_BENCH_POSTGRES is not set";
        }

        Stage("pg_verify");
        // The benchmark's own build (project references, all just in time): the figure runs A–I reported as cold_start_ratio.
        var cold = ColdStart.Run(smoke ? 1 : 5);
        json["cold_start_ratio_project_reference"] = cold.Ratio;
        json["cold_start_project_reference_bare_ms"] = cold.BareMs;
        json["cold_start_project_reference_guarded_ms"] = cold.GuardedMs;
        // As a user has it: an app with the GuardedAI package, built and run as `dotnet run` does (the packages'
        // ReadyToRun images, everything else just in time). Smoke packs nothing and reports the figure above instead.
        var (fromPackage, packageWhy) = smoke ? (null, "smoke mode packs nothing") : ColdStartApp.BuildFromPackage();
        var package = fromPackage is null ? cold : ColdStart.Run(5, fromPackage);
        json["cold_start_ratio"] = package.Ratio;
        json["cold_start_from"] = fromPackage is null ? $"project reference ({packageWhy})" : "package";
        json["cold_start_bare_ms"] = package.BareMs;
        json["cold_start_guarded_ms"] = package.GuardedMs;
        json["cold_start_bare_peak_mib"] = package.BarePeakBytes / 1048576.0;
        json["cold_start_guarded_peak_mib"] = package.GuardedPeakBytes / 1048576.0;
        // The same first call made with a real client (OpenAI's SDK against a loopback server), from the same build: what
        // GuardedAI adds to an app whose first call is an HTTP call, as every real one is.
        var openAi = ColdStartOpenAi.Run(smoke ? 1 : 5, fromPackage ?? typeof(ColdStart).Assembly.Location);
        json["cold_start_openai_bare_ms"] = openAi.BareMs;
        json["cold_start_openai_guarded_ms"] = openAi.GuardedMs;
        json["cold_start_openai_added_ms"] = openAi.GuardedMs - openAi.BareMs;
        json["cold_start_ratio_openai"] = openAi.Ratio;
        if (smoke)
        {
            json["cold_start_ratio_ready_to_run"] = null;
            json["cold_start_ready_to_run_note"] = "not published in smoke mode";
        }
        else
        {
            // The same children published as a user would ship an app: ReadyToRun, framework-dependent.
            var (published, why) = ColdStartApp.Publish();
            var r2r = published is null ? null : ColdStart.Run(5, published);
            json["cold_start_ratio_ready_to_run"] = r2r?.Ratio;
            json["cold_start_ready_to_run_bare_ms"] = r2r?.BareMs;
            json["cold_start_ready_to_run_guarded_ms"] = r2r?.GuardedMs;
            if (why is not null) json["cold_start_ready_to_run_note"] = why;
        }

        Stage("cold_start");
        if (smoke)
        {
            // Smoke writes the generated projects (the code path) but builds nothing: a dozen dotnet builds take minutes.
            BuildOverhead.WriteOnly(4, 20);
            json["build_overhead_percent"] = null;
            json["analyzer_overhead_no_llm_percent"] = null;
            json["build_overhead_note"] = "not built in smoke mode";
        }
        else
        {
            // Quick: the capture and report builds warm the compiler server (asked for explicitly: see BuildOverhead), so the
            // "without" builds get no warm-up of their own;
            // the project without an LLM library is built once each way (its figure of record is the compiler's own account,
            // from its report build), which keeps the run inside its five minutes in a slow phase (run V took 331 s with three).
            var build = BuildOverhead.Run(interfaces: 200, callSites: 1000, runs: mode == "full" ? 9 : 3, warmUp: mode == "full", plainRuns: mode == "full" ? 9 : 1);
            json["build_overhead_percent"] = build.OverheadPercent;
            json["analyzer_overhead_no_llm_percent"] = build.NoLlmOverheadPercent;
            json["build_with_ms"] = build.LlmWithMs;
            json["build_without_ms"] = build.LlmWithoutMs;
            json["build_no_llm_with_ms"] = build.PlainWithMs;
            json["build_no_llm_without_ms"] = build.PlainWithoutMs;
            json["build_guardedai_analyzers_reported_ms"] = build.LlmReport.GuardedAIAnalyzersMs;
            json["build_generator_reported_ms"] = build.LlmReport.GeneratorMs;
            json["build_all_analyzers_reported_ms"] = build.LlmReport.AllAnalyzersMs;
            json["build_reported_overhead_percent"] = build.ReportedOverheadPercent;
            json["build_no_llm_guardedai_reported_ms"] = build.PlainReport.GuardedAIAnalyzersMs + build.PlainReport.GeneratorMs;
            json["analyzer_overhead_no_llm_reported_percent"] = build.NoLlmReportedOverheadPercent;
            // The builds above use the compiler server (the SDK's default); this is the same report build in a compiler
            // process of its own, as CI builds with UseSharedCompilation=false compile.
            json["build_fresh_compiler_generator_reported_ms"] = build.FreshCompilerReport.GeneratorMs;
            json["build_fresh_compiler_guardedai_analyzers_reported_ms"] = build.FreshCompilerReport.GuardedAIAnalyzersMs;
        }

        Stage("build");
        json["oversized_prompt_reject_ms"] = Rejection(smoke);
        Stage("oversized_prompt");
        json["run_stage_seconds"] = stages;
        json["run_total_s"] = Math.Round(total.Elapsed.TotalSeconds, 1);

        Console.WriteLine(json.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }

    /// <summary>The slowest of the seven 50 MB prompt shapes to reject against a 1,000-token cap (default engine), median of 5.</summary>
    private static double Rejection(bool smoke)
    {
        var worst = 0.0;
        foreach (var shape in typeof(PromptRejectionBenchmarks).GetProperty(nameof(PromptRejectionBenchmarks.Shape))!.GetCustomAttribute<ParamsAttribute>()!.Values.Cast<string>())
        {
            var bench = new PromptRejectionBenchmarks { Shape = shape, CharacterLimit = true };
            bench.Setup();
            bench.Reject();
            var times = new List<double>();
            for (var i = 0; i < (smoke ? 1 : 5); i++)
            {
                var watch = Stopwatch.StartNew();
                if (!bench.Reject()) throw new InvalidOperationException($"The {shape} prompt was not rejected.");
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            bench.Cleanup();
            worst = Math.Max(worst, times.Order().ElementAt(times.Count / 2));
        }
        return worst;
    }

    private static Results Run<T>(string mode, int iterations = 3, int iterationMs = 120) where T : new()
    {
        if (mode == "smoke") return Results.Once<T>();
        // Quick: no forced full collection before each iteration. Every class runs in this one process, which holds three
        // o200k vocabularies (hundreds of MB), so a forced collection cost ~150 ms, ~40 times per case: most of the run.
        // It also hid costs: a forced collection between iterations pays, untimed, for whatever the calls left to collect,
        // so the in-memory ledger that kept every record (its records copied from generation to generation) looked as cheap
        // as one that keeps none. Without it each iteration pays for the collections its calls cause, as a service does.
        var job = mode == "full"
            ? Job.Default
            : Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(iterations)
                .WithIterationTime(TimeInterval.FromMilliseconds(iterationMs)).WithGcForce(false).WithId("quick");
        // One full collection before each class, none between its iterations: a class does not pay, inside its own timed
        // iterations, for collecting what the class before it left (the guard class leaves engines with full ledgers; the
        // 64-caller case read 1.34 µs after it in one run and 0.73–0.81 µs alone).
        if (mode != "full")
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        var config = ManualConfig.CreateEmpty().AddJob(job).AddDiagnoser(MemoryDiagnoser.Default).AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance).AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
        return new Results(BenchmarkRunner.Run<T>(config));
    }

    private sealed class Results
    {
        private readonly Summary? _summary;
        private readonly Dictionary<string, (double Ns, long Bytes)> _once = new();

        public Results(Summary summary) => _summary = summary;

        private Results() { }

        /// <summary>Smoke: each benchmark method once (per parameter value), timed with a stopwatch.</summary>
        public static Results Once<T>() where T : new()
        {
            var results = new Results();
            var methods = typeof(T).GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null).ToList();
            var param = typeof(T).GetProperties().FirstOrDefault(p => p.GetCustomAttribute<ParamsAttribute>() is not null);
            var values = param?.GetCustomAttribute<ParamsAttribute>()!.Values ?? [null];
            foreach (var value in values)
            {
                var instance = new T();
                param?.SetValue(instance, value);
                typeof(T).GetMethods().FirstOrDefault(m => m.GetCustomAttribute<GlobalSetupAttribute>() is not null)?.Invoke(instance, null);
                foreach (var method in methods)
                {
                    var before = GC.GetAllocatedBytesForCurrentThread();
                    var watch = Stopwatch.StartNew();
                    Await(method.Invoke(instance, null));
                    results._once[Key(method.Name, value)] = (watch.Elapsed.TotalNanoseconds, GC.GetAllocatedBytesForCurrentThread() - before);
                }
                typeof(T).GetMethods().FirstOrDefault(m => m.GetCustomAttribute<GlobalCleanupAttribute>() is not null)?.Invoke(instance, null);
            }
            return results;
        }

        public double Median(string method, object? parameter = null)
        {
            if (_summary is null) return _once[Key(method, parameter)].Ns;
            var report = Find(method, parameter);
            return report.ResultStatistics?.Median ?? throw new InvalidOperationException($"{method} has no result (did it fail?).");
        }

        public long Allocated(string method, object? parameter = null)
        {
            if (_summary is null) return _once[Key(method, parameter)].Bytes;
            var report = Find(method, parameter);
            return report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0;
        }

        private BenchmarkReport Find(string method, object? parameter) => _summary!.Reports.First(r =>
            r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method &&
            (parameter is null || r.BenchmarkCase.Parameters.Items.Any(p => Equals(p.Value, parameter))));

        private static string Key(string method, object? parameter) => parameter is null ? method : $"{method}|{parameter}";

        private static void Await(object? result)
        {
            switch (result)
            {
                case Task task: task.GetAwaiter().GetResult(); break;
                case ValueTask valueTask: valueTask.AsTask().GetAwaiter().GetResult(); break;
                case ValueTask<UsageRecord> record: record.AsTask().GetAwaiter().GetResult(); break;
            }
        }
    }
}
