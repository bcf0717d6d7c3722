using System.Globalization;

namespace GuardedAI.Benchmarks;

/// <summary>
/// <c>redis [seconds]</c>: every Redis figure without BenchmarkDotNet, for working on the Redis store — the ceilings,
/// 64 callers in this process with the server's and the client's CPU per pair, then 64 callers in each of 4 processes.
/// </summary>
internal static class RedisProbe
{
    public static async Task RunAsync(double seconds)
    {
        using var server = RedisServer.Start() ?? throw new InvalidOperationException("No redis-server: install it or set GUARDEDAI_BENCH_REDIS=host:port.");
        var ceilings = RedisFigures.MeasureCeilings(server, 100_000);
        foreach (var (name, c, clients) in new[] { ("trivial EVAL", ceilings.TrivialEval, "redis-benchmark"), ("reserve EVALSHA", ceilings.Reserve, "this process's"), ("settle EVALSHA", ceilings.Settle, "this process's") })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ceiling, {name} (64 {clients} clients): {c.PerSecond:0}/s; server CPU {c.ServerCpuUs:0.0} µs, script {c.ScriptUs:0.0} µs per request"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ceiling, pair: {ceilings.Pair:0}/s; server CPU {ceilings.PairServerCpuUs:0.0} µs per pair"));
        var bench = new RedisBenchmarks();
        bench.Setup(server);
        try
        {
            await bench.LatencyAsync(TimeSpan.FromSeconds(1)); // warm-up
            var one = await RedisFigures.MeasureCostAsync(server, () => bench.LatencyAsync(TimeSpan.FromSeconds(seconds)));
            Print("1 process, 64 callers", one, ceilings);
        }
        finally
        {
            bench.Cleanup();
        }
        var four = await RedisFigures.MeasureCostAsync(server, () => RedisFigures.ProcessesAsync(server, 4, seconds));
        Print("4 processes, 64 callers each", four, ceilings);
    }

    private static void Print(string what, RedisFigures.Cost cost, RedisFigures.Ceilings ceilings) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{what}: {cost.PairsPerSecond:0} pairs/s (÷ trivial EVAL ceiling {cost.PairsPerSecond / ceilings.TrivialEval.PerSecond:0.00}, ÷ pair ceiling {cost.PairsPerSecond / ceilings.Pair:0.00}), p50 {cost.P50Ms:0.00} ms, p99 {cost.P99Ms:0.00} ms; per pair: server CPU {cost.ServerCpuUsPerPair:0.0} µs, this process's CPU {cost.ClientCpuUsPerPair:0.0} µs; script {cost.ScriptUsPerCall:0.0} µs per EVALSHA"));
}
