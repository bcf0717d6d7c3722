using GuardedAI.Cli.Tests.Support;
using GuardedAI.Sqlite;

namespace GuardedAI.Cli.Tests.Queries;

/// <summary>
/// The month-end forecast on synthetic months with a known trend and a weekday/weekend pattern. Stated error
/// (docs/reports.md): within 1% of the true month without noise, within 5% with ±20% day-to-day noise; the time a
/// limit is reached within a day of when the synthetic month reaches it.
/// </summary>
public sealed class ForecastTests : IDisposable
{
    private static readonly DateTimeOffset Origin = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Spend of day <paramref name="d"/> (0 = 1 January): a rising trend, weekends at 30% of weekdays.</summary>
    private static decimal Daily(int d, Random? noise)
    {
        var day = Origin.AddDays(d);
        var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        var value = (10m + 0.25m * d) * (weekend ? 0.3m : 1m);
        if (noise is not null) value *= 0.8m + 0.4m * (decimal)noise.NextDouble();
        return Math.Round(value, 6);
    }

    /// <summary>Hourly records of every day until <paramref name="until"/>; returns the true total of each month.</summary>
    private async Task<(string Path, Dictionary<int, decimal> Months)> BuildAsync(DateTimeOffset until, Random? noise, string budget = "support")
    {
        var path = _dir.File(Guid.NewGuid().ToString("N") + ".db");
        var records = new List<UsageRecord>();
        var months = new Dictionary<int, decimal>();
        for (var d = 0; d < 120; d++)
        {
            var hourly = Math.Round(Daily(d, noise) / 24m, 9); // costs of nine decimals sum exactly
            var day = Origin.AddDays(d);
            months[day.Month] = months.GetValueOrDefault(day.Month) + hourly * 24;
            for (var h = 0; h < 24; h++)
            {
                var at = day.AddHours(h).AddMinutes(30);
                if (at < until) records.Add(Ledgers.Record(at, budget, cost: hourly, input: 1000, output: 100));
            }
        }
        await Ledgers.FillAsync(path, records);
        return (path, months);
    }

    [Theory]
    [InlineData(false, 0.01)]
    [InlineData(true, 0.05)]
    public async Task The_month_end_projection_is_within_the_stated_error(bool noisy, double tolerance)
    {
        var now = new DateTimeOffset(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);
        var (path, months) = await BuildAsync(now, noisy ? new Random(42) : null);

        var forecast = Assert.Single(await SpendForecast.ForecastAsync(new SqliteUsageQueries(path), now, TimeZoneInfo.Utc, UsageDimension.Budget));

        Assert.Equal("trend", forecast.Method);
        Assert.Equal(28, forecast.HistoryDays);
        var actual = months[3];
        var error = Math.Abs((double)(forecast.ProjectedMonthEnd.CostUsd - actual)) / (double)actual;
        Assert.True(error < tolerance, $"projected {forecast.ProjectedMonthEnd.CostUsd:0.00} vs actual {actual:0.00}: {error:P2} off");
        if (!noisy) Assert.InRange(forecast.WeekendFactor, 0.25, 0.35);
        // A naive pace (month so far / days elapsed) would be off by the weekday pattern and the trend; the model is not.
        Assert.Equal(Ledgers.SumCost(path, "ts_ticks >= $from", ("$from", new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks)), forecast.MonthToDate.CostUsd);
    }

    [Fact]
    public async Task A_monthly_limit_is_projected_to_be_reached_within_a_day_of_the_true_crossing()
    {
        var now = new DateTimeOffset(2025, 3, 10, 6, 0, 0, TimeSpan.Zero);
        var (path, _) = await BuildAsync(now, null);
        // The true crossing: cumulative March spend passes $300 on the day it does.
        decimal cumulative = 0, limit = 300m;
        var trueDay = -1;
        for (var d = 59; d < 90; d++)
        {
            cumulative += Daily(d, null);
            if (cumulative >= limit) { trueDay = d; break; }
        }
        var policy = BudgetPolicy.Create("support").WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, limit).WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 100m).Build();

        var forecast = Assert.Single(await SpendForecast.ForecastAsync(new SqliteUsageQueries(path), now, TimeZoneInfo.Utc, UsageDimension.Budget, _ => policy));

        var month = forecast.Limits.Single(l => l.Limit.Window == BudgetWindow.Month);
        Assert.NotNull(month.ReachedAt);
        var trueCrossing = Origin.AddDays(trueDay + 1); // by the end of that day
        Assert.InRange(month.ReachedAt!.Value, trueCrossing.AddDays(-1.5), trueCrossing.AddDays(0.5));
        var day = forecast.Limits.Single(l => l.Limit.Window == BudgetWindow.Day);
        Assert.Null(day.ReachedAt);
        Assert.False(day.AlreadyReached);
    }

    [Fact]
    public async Task With_less_than_a_week_of_history_the_month_so_far_is_projected_at_its_pace()
    {
        var path = _dir.File("young.db");
        var start = new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero);
        await Ledgers.FillAsync(path, Enumerable.Range(0, 3 * 24).Select(h => Ledgers.Record(start.AddHours(h), "new", cost: 0.5m)));
        var now = start.AddDays(3);

        var forecast = Assert.Single(await SpendForecast.ForecastAsync(new SqliteUsageQueries(path), now, TimeZoneInfo.Utc, UsageDimension.Budget));

        Assert.Equal("pace", forecast.Method);
        Assert.Equal(36m, forecast.MonthToDate.CostUsd);
        Assert.Equal(360m, forecast.ProjectedMonthEnd.CostUsd); // $12 a day for 30 days
    }
}
