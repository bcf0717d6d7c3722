using System.Diagnostics;
using GuardedAI.Reports;

namespace GuardedAI.Benchmarks;

/// <summary>What the benchmark's own measurements share.</summary>
internal static class Stats
{
    /// <summary>The middle value of the sorted values (the upper of the two middle ones for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>
    /// The month report of <paramref name="store"/> timed: one warm-up (pages cached, code jitted), then
    /// <paramref name="repeats"/> timed builds, each checked to count every one of the <paramref name="records"/>.
    /// Returns the median time and the bytes the last build allocated.
    /// </summary>
    public static async Task<(double MedianMs, long AllocatedBytes)> TimeReportAsync(string store, Func<Task<UsageReport>> build, long records, int repeats)
    {
        await build();
        var times = new List<double>();
        long allocated = 0;
        for (var i = 0; i < repeats; i++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            var report = await build();
            times.Add(watch.Elapsed.TotalMilliseconds);
            allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            if (report.Total.Requests != records) throw new InvalidOperationException($"The {store} report counted {report.Total.Requests} requests of {records}.");
        }
        return (Median(times), allocated);
    }
}
