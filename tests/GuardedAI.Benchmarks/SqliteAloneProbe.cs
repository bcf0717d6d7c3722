using System.Diagnostics;
using System.Globalization;

namespace GuardedAI.Benchmarks;

/// <summary>
/// <c>sqlite-alone batched|raw seconds</c>: one side of the batched comparison alone in this process, invocation after
/// invocation as a full BenchmarkDotNet job runs it (which puts millions of rows in its file), printing the time per
/// record of each block of 64 invocations: how the side's cost moves as its file grows, without the other side's writes
/// between its own.
/// </summary>
internal static class SqliteAloneProbe
{
    public static async Task RunAsync(string side, double seconds)
    {
        var bench = new SqliteAppendBenchmarks();
        bench.Setup();
        try
        {
            Func<Task> run = side switch
            {
                "batched" => bench.LedgerBatched,
                "raw" => () => { bench.RawNormal(); return Task.CompletedTask; },
                _ => throw new ArgumentException($"sqlite-alone: unknown side '{side}' (batched, raw)"),
            };
            var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            for (var block = 1; Stopwatch.GetTimestamp() < until; block++)
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < 64; i++) await run();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{side} block {block} ({block * 64 * SqliteAppendBenchmarks.Rows:N0} rows): {watch.Elapsed.TotalMicroseconds / (64 * SqliteAppendBenchmarks.Rows):0.00} µs per record"));
            }
        }
        finally
        {
            bench.Cleanup();
        }
    }
}
