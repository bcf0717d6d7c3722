using BenchmarkDotNet.Attributes;
using GuardedAI.Redis;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Reserve + commit pairs against Redis counters from one process with 64 concurrent callers (each pair is two Lua
/// scripts, one round trip each), on a redis-server the benchmark starts on 127.0.0.1. The ceiling beside it is what
/// <c>redis-benchmark</c> reaches with 64 clients running a small EVAL (<see cref="RedisServer.EvalCeiling"/>).
/// </summary>
public class RedisBenchmarks
{
    public const int Callers = 64;
    public const int PairsPerCaller = 40;

    private RedisServer? _server;
    private bool _ownsServer;
    private GuardedAIRedis _redis = null!;
    private BudgetEngine _engine = null!;
    private BudgetPolicy _policy = null!;
    private SteadyCallers? _steady;

    public static bool Available => Environment.GetEnvironmentVariable("GUARDEDAI_BENCH_REDIS") is { Length: > 0 } || RedisServer.Which("redis-server") is not null;

    [GlobalSetup]
    public void Setup() => Setup(null);

    /// <summary>On <paramref name="server"/>, or on a redis-server of its own when null.</summary>
    internal void Setup(RedisServer? server)
    {
        _ownsServer = server is null;
        _server = server ?? RedisServer.Start() ?? throw new InvalidOperationException("No redis-server: install it or set GUARDEDAI_BENCH_REDIS=host:port.");
        _redis = GuardedAIRedis.ConnectAsync(new RedisStoreOptions { Configuration = _server.Configuration, KeyPrefix = "{bench}:" }).GetAwaiter().GetResult();
        var options = new BudgetEngineOptions { LogAlerts = false, LeaseSweepInterval = TimeSpan.FromHours(1) };
        options.Store = _redis.Counters;
        _engine = new BudgetEngine(options);
        _policy = Fixtures.SixLimits("redis-bench");
        _engine.AddPolicy(_policy);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _steady?.StopAsync().GetAwaiter().GetResult();
        _steady = null;
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _redis.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_ownsServer) _server?.Dispose();
    }

    internal RedisServer Server => _server!;

    /// <summary>
    /// 64 callers that run pairs without stopping (started by the first invocation, stopped in <see cref="Cleanup"/>): an
    /// invocation times the next 64 × 40 pairs they finish, the callers' steady state, as the 5-second latency run and
    /// <c>redis-benchmark</c>'s ceiling measure theirs.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Callers * PairsPerCaller, Description = "Redis: 64 callers, reserve + commit")]
    public Task Pairs64()
    {
        _steady ??= new SteadyCallers(Callers, PairAsync);
        return _steady.NextAsync(Callers * BenchmarkScale.Pick(PairsPerCaller, 1));
    }

    /// <summary>
    /// What <see cref="Pairs64"/> measured before issue 16's twenty-fourth round, kept beside it: 64 callers started by
    /// the invocation and awaited by it, so each invocation also times their start, when requests go alone, and their
    /// end, when the last ones finish in ever smaller batches.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Callers * PairsPerCaller, Description = "Redis: 64 callers started and awaited by each invocation")]
    public async Task Pairs64StartedAndAwaited()
    {
        // The steady callers, when the benchmark before this one left them running, would share the server with these.
        if (_steady is not null)
        {
            await _steady.StopAsync();
            _steady = null;
        }
        var callers = new Task[Callers];
        var pairs = BenchmarkScale.Pick(PairsPerCaller, 1);
        for (var c = 0; c < Callers; c++) callers[c] = Task.Run(async () => { for (var i = 0; i < pairs; i++) await PairAsync(); });
        await Task.WhenAll(callers);
    }

    public async Task PairAsync()
    {
        var lease = await _engine.TryReserveAsync(_policy, Fixtures.Estimate);
        await lease.CommitAsync(Fixtures.Actual);
    }

    /// <summary>Latency of each pair with 64 callers for <paramref name="duration"/>: p50 and p99 in milliseconds, and pairs per second.</summary>
    public async Task<(long Pairs, double P50, double P99, double PerSecond)> LatencyAsync(TimeSpan duration)
    {
        var samples = new System.Collections.Concurrent.ConcurrentBag<double>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            while (watch.Elapsed < duration)
            {
                var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                await PairAsync();
                samples.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(callers);
        var sorted = samples.Order().ToArray();
        return (sorted.Length, sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))], sorted.Length / watch.Elapsed.TotalSeconds);
    }

    public double? Ceiling() => _server?.EvalCeiling(BenchmarkScale.Pick(100_000, 200));
}
