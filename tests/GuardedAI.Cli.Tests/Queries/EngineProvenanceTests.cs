using GuardedAI.Cli.Tests.Support;
using GuardedAI.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace GuardedAI.Cli.Tests.Queries;

/// <summary>What the engine writes for reports: the price table version of every record, and counter resets honoured at restore.</summary>
public sealed class EngineProvenanceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static BudgetPolicy Policy() => BudgetPolicy.Create("support")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Month, 1000)
        .Build();

    private static BudgetEngineOptions Options(FakeTimeProvider clock, string path, PriceCatalog? prices = null) => new()
    {
        TimeProvider = clock,
        LogAlerts = false,
        Ledger = new SqliteUsageLedger(path),
        CounterResets = new SqliteOperationsStore(path),
        Prices = prices,
        Policies = { Policy() },
    };

    private static async Task CallAsync(BudgetEngine engine, BudgetPolicy policy, bool deny = false)
    {
        await using var lease = await engine.TryReserveAsync(policy, engine.Estimate("gpt-4o-mini", deny ? 10_000_000 : 100, 50));
        if (lease.IsAcquired) await lease.CommitAsync(new TokenUsage(90, 40));
    }

    [Fact]
    public async Task Every_record_names_the_price_table_that_priced_it_and_a_changed_price_changes_the_version()
    {
        var path = _dir.File("prices.db");
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 5, 10, 9, 0, 0, TimeSpan.Zero));
        var policy = Policy().ToBuilder().WithMaxInputTokens(1000).Build();
        var embedded = PriceCatalog.CreateDefault();
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path, embedded)))
        {
            engine.AddPolicy(policy);
            await CallAsync(engine, policy);
            await CallAsync(engine, policy, deny: true);
        }
        var changed = PriceCatalog.CreateDefault();
        changed.Set("gpt-4o-mini", new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m });
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path, changed)))
        {
            engine.AddPolicy(policy);
            await CallAsync(engine, policy);
        }

        var records = new List<UsageRecord>();
        await foreach (var r in new SqliteUsageQueries(path).ReadRecordsAsync(clock.GetUtcNow().AddDays(-1), clock.GetUtcNow().AddDays(1))) records.Add(r);
        Assert.Equal(3, records.Count);
        Assert.Equal(PriceTableVersion.Of(embedded), records[0].PriceTableVersion);
        Assert.Equal(UsageStatus.Denied, records[1].Status);
        Assert.Equal(PriceTableVersion.Of(embedded), records[1].PriceTableVersion);
        Assert.Equal(PriceTableVersion.Of(changed), records[2].PriceTableVersion);
        Assert.NotEqual(records[0].PriceTableVersion, records[2].PriceTableVersion);
        Assert.StartsWith(embedded.AsOf + "#", records[0].PriceTableVersion);
        Assert.Equal(PriceTableVersion.Of(PriceCatalog.CreateDefault()), PriceTableVersion.Of(embedded)); // same prices, same version
        Assert.Equal(90 * 1m / 1_000_000m + 40 * 2m / 1_000_000m, records[2].CostUsd);
    }

    [Fact]
    public async Task A_counter_reset_clears_its_window_at_restore_and_leaves_other_windows_and_the_records()
    {
        var path = _dir.File("reset.db");
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 5, 10, 9, 0, 0, TimeSpan.Zero));
        var policy = Policy();
        await using (var engine = await BudgetEngine.CreateAsync(Options(clock, path)))
        {
            await CallAsync(engine, policy);
            await CallAsync(engine, policy);
            clock.Advance(TimeSpan.FromMinutes(10));
            await new SqliteOperationsStore(path).SaveAsync(new CounterReset("support", BudgetWindow.Day, policy.GetWindowBounds(BudgetWindow.Day, clock.GetUtcNow()).Start, clock.GetUtcNow(), "test"));
            clock.Advance(TimeSpan.FromMinutes(1));
            await CallAsync(engine, policy);
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        await using var restarted = await BudgetEngine.CreateAsync(Options(clock, path));
        var usage = await restarted.GetUsageAsync(policy);
        Assert.Equal(1m, usage.Single(u => u.Limit.Window == BudgetWindow.Day).Used);
        Assert.Equal(3m, usage.Single(u => u.Limit.Window == BudgetWindow.Month).Used);
        Assert.Equal(3, Ledgers.Scalar(path, "SELECT count(*) FROM usage_records"));

        // The ledger's view of the limits says the same.
        var status = await LimitStatus.ReadAsync(new SqliteUsageQueries(path), policy, new UsageFilter { Budget = "support" }, clock.GetUtcNow(),
            await new SqliteOperationsStore(path).LoadAsync(clock.GetUtcNow().AddDays(-40)));
        Assert.Equal([1m, 3m], status.Select(s => s.Used));
    }
}
