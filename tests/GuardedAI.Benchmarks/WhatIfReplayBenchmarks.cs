using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using GuardedAI;

namespace GuardedAI.Benchmarks;

/// <summary>
/// A what-if replay of a month of ledger records (<see cref="WhatIfReplay"/>): three budgets with minute, hour, day and
/// month limits in a time zone, a default tenant budget for 200 tenants, conversations, thresholds and breakers. Records
/// are generated as they are read, as a ledger streams them, so the figure is the engine's replay rate (reading a
/// SQLite ledger adds its own). One iteration, since a run is long:
/// <c>dotnet run -c Release --project tests/GuardedAI.Benchmarks -- --filter *WhatIfReplay*</c>; or a measured run
/// that also prints the CPU time (<see cref="MeasureAsync"/>): <c>… -- whatif 10000000</c>.
/// Self-contained (no other file of this project needed).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class WhatIfReplayBenchmarks
{
    private WhatIfProposal _proposal = null!;

    [Params(10_000_000)]
    public int Records { get; set; }

    [GlobalSetup]
    public void Setup() => _proposal = Proposal();

    [Benchmark]
    public async Task<int> ReplayAMonth()
    {
        var report = await WhatIfReplay.RunAsync(_proposal, Streamed(Month(Records)));
        return (int)report.DeniedCount;
    }

    /// <summary>The records as a ledger query hands them out: asynchronously (the replay reads them on another thread).</summary>
    public static async IAsyncEnumerable<UsageRecord> Streamed(IEnumerable<UsageRecord> records)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var record in records) yield return record;
    }

    /// <summary>The proposal: limits that bite at several windows, so denials, trips and window resets all happen.</summary>
    public static WhatIfProposal Proposal()
    {
        BudgetPolicy Budget(string name, long perMinute, decimal daily) => BudgetPolicy.Create(name).ForModel("gpt-4o-mini").InTimeZone("Europe/Berlin")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, perMinute)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, 7_500_000)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, daily)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, daily * 26)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Conversation, 12_000)
            .WithMaxOutputTokens(1_000)
            .Build();
        var tenant = BudgetPolicy.Create("tenant").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1_300).Build();
        return new WhatIfProposal([Budget("support", 90, 60m), Budget("search", 85, 50m), Budget("agents", 95, 55m)], defaultTenantPolicy: tenant);
    }

    /// <summary><paramref name="count"/> calls spread over March 2026, oldest first, generated as they are read.</summary>
    public static IEnumerable<UsageRecord> Month(int count)
    {
        var random = new Random(42);
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var step = TimeSpan.FromDays(31).Ticks / count;
        string[] budgets = ["support", "search", "agents"];
        var tenants = Enumerable.Range(0, 200).Select(i => "t" + i).ToArray();
        var ids = 0L;
        for (var i = 0; i < count; i++)
        {
            var input = random.Next(100, 2_000);
            var output = random.Next(20, 900);
            yield return new UsageRecord
            {
                Id = (++ids).ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
                Timestamp = start.AddTicks(step * i),
                Budget = budgets[random.Next(budgets.Length)],
                Tenant = random.Next(4) == 0 ? null : tenants[random.Next(tenants.Length)],
                ConversationId = random.Next(3) == 0 ? "c" + (i / 30 % 100_000) : null, // about ten calls within minutes
                Model = "gpt-4o-mini",
                InputTokens = input,
                OutputTokens = output,
                ReservedInputTokens = input,
                ReservedOutputTokens = random.Next(10) == 0 ? 1_200 : 1_000,
                ReservedCostUsd = input * 0.00000015m + 0.0006m,
                CostUsd = input * 0.00000015m + output * 0.0000006m,
                UsageReported = true,
                Status = random.Next(200) == 0 ? UsageStatus.Failed : UsageStatus.Success,
            };
        }
    }

    /// <summary>One measured run outside BenchmarkDotNet: records per second and the report's size.</summary>
    public static async Task MeasureAsync(int count)
    {
        var proposal = Proposal();
        var watch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var report = await WhatIfReplay.RunAsync(proposal, Streamed(Month(count)));
        watch.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine($"replayed {report.Replayed:N0} records in {watch.Elapsed.TotalSeconds:N1} s ({report.Replayed / watch.Elapsed.TotalSeconds:N0} records/s); " +
            $"{report.DeniedCount:N0} denials, {report.Limits.Count} limits hit, spend avoided ${report.SpendAvoidedUsd:N2}; {cpu.TotalSeconds:N1} s of CPU; peak working set {Environment.WorkingSet / 1024 / 1024:N0} MB");
    }
}
