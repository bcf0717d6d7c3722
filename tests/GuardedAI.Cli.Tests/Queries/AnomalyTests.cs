using GuardedAI.Cli.Tests.Support;
using GuardedAI.Sqlite;

namespace GuardedAI.Cli.Tests.Queries;

/// <summary>Anomalies on synthetic hours with a daily rhythm and noise: the injected spike is found, the rhythm is not.</summary>
public sealed class AnomalyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_spike_is_found_and_busy_hours_of_a_daily_rhythm_are_not()
    {
        var path = _dir.File("rhythm.db");
        var start = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var random = new Random(5);
        var records = new List<UsageRecord>();
        for (var h = 0; h < 21 * 24; h++)
        {
            var at = start.AddHours(h);
            var busy = at.Hour is >= 9 and < 18;
            var cost = (busy ? 0.50m : 0.05m) * (0.9m + 0.2m * (decimal)random.NextDouble());
            if (at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) cost *= 0.6m;
            records.Add(Ledgers.Record(at.AddMinutes(10), "support", cost: Math.Round(cost, 6)));
            records.Add(Ledgers.Record(at.AddMinutes(20), "search", cost: Math.Round(cost / 2, 6)));
        }
        var spike = start.AddDays(19).AddHours(3); // a night hour: a runaway loop
        records.Add(Ledgers.Record(spike.AddMinutes(45), "support", cost: 2.00m));
        await Ledgers.FillAsync(path, records);

        var found = await SpendAnomalies.FindAsync(new SqliteUsageQueries(path), start.AddDays(14), start.AddDays(21), UsageDimension.Budget);

        var anomaly = Assert.Single(found);
        Assert.Equal("support", anomaly.Scope);
        Assert.Equal(spike, anomaly.HourStart);
        Assert.True(anomaly.Ratio > 20, $"ratio {anomaly.Ratio}");
    }

    [Fact]
    public async Task The_first_spend_of_a_new_budget_is_an_anomaly_and_spend_below_the_floor_never_is()
    {
        var path = _dir.File("new.db");
        var at = new DateTimeOffset(2025, 6, 20, 14, 5, 0, TimeSpan.Zero);
        await Ledgers.FillAsync(path, [Ledgers.Record(at, "fresh", cost: 0.50m), Ledgers.Record(at, "tiny", cost: 0.001m)]);

        var found = await SpendAnomalies.FindAsync(new SqliteUsageQueries(path), at.AddDays(-1), at.AddDays(1), UsageDimension.Budget);

        var anomaly = Assert.Single(found);
        Assert.Equal("fresh", anomaly.Scope);
        Assert.Null(anomaly.Ratio);
    }
}
