using System.Diagnostics;
using System.Globalization;

namespace GuardedAI.Benchmarks;

/// <summary>
/// <c>sqlite [rounds]</c>: the SQLite append comparison without BenchmarkDotNet, for working on the writer — each round
/// runs the four benchmarks of <see cref="SqliteAppendBenchmarks"/> back to back (so each ratio compares neighbours in
/// time on a shared machine); prints the medians and the two ratios. With <c>sqlite [rounds] [every]</c> it also prints the
/// ratios of each block of <c>every</c> rounds, to see how they move as the files grow (a full BenchmarkDotNet job writes
/// millions of rows into each file; a quick one tens of thousands).
/// </summary>
internal static class SqliteProbe
{
    public static async Task RunAsync(int rounds, int every = 0)
    {
        var bench = new SqliteAppendBenchmarks();
        bench.Setup();
        try
        {
            var times = new Dictionary<string, List<double>>();
            async Task Time(string name, Func<Task> run)
            {
                var watch = Stopwatch.StartNew();
                await run();
                if (!times.TryGetValue(name, out var list)) times[name] = list = [];
                list.Add(watch.Elapsed.TotalMicroseconds / SqliteAppendBenchmarks.Rows);
            }
            for (var i = 0; i < rounds + 1; i++)
            {
                await Time("raw NORMAL", () => { bench.RawNormal(); return Task.CompletedTask; });
                await Time("ledger batched", bench.LedgerBatched);
                await Time("raw FULL", () => { bench.RawFull(); return Task.CompletedTask; });
                await Time("ledger synchronous", bench.LedgerSynchronous);
                if (i == 0) times.Clear(); // warm-up round
                else if (every > 0 && i % every == 0) PrintBlock(times, every, i);
            }
            double Median(string name) => times[name].Order().ElementAt(times[name].Count / 2);
            foreach (var name in times.Keys) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {Median(name):0.00} µs per record (median of {rounds})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"batched ÷ raw NORMAL: {Median("raw NORMAL") / Median("ledger batched"):0.00} (throughput ratio); synchronous ÷ raw FULL: {Median("raw FULL") / Median("ledger synchronous"):0.00}"));
        }
        finally
        {
            bench.Cleanup();
        }
    }

    private static void PrintBlock(Dictionary<string, List<double>> times, int every, int round)
    {
        double Median(string name) => times[name].TakeLast(every).Order().ElementAt(every / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rounds {round - every + 1}-{round} ({round * SqliteAppendBenchmarks.Rows:N0} rows in each file): batched {Median("ledger batched"):0.00} µs, raw {Median("raw NORMAL"):0.00} µs, ratio {Median("raw NORMAL") / Median("ledger batched"):0.00}; synchronous ratio {Median("raw FULL") / Median("ledger synchronous"):0.00}"));
    }
}
