using CsCheck;

namespace GuardedAI.Tests;

public class WindowTests
{
    // These tests watch the window limit itself, so the breaker must not trip at 95% first.
    private static readonly BreakerSettings NoTrip = new() { TripOnThreshold = false };

    [Theory]
    [InlineData(BudgetWindow.Minute, "2026-03-15T12:00:59Z", "2026-03-15T12:01:00Z")]
    [InlineData(BudgetWindow.Hour, "2026-03-15T12:59:59Z", "2026-03-15T13:00:00Z")]
    [InlineData(BudgetWindow.Day, "2026-03-15T23:59:59Z", "2026-03-16T00:00:00Z")]
    [InlineData(BudgetWindow.Month, "2026-01-31T23:59:59Z", "2026-02-01T00:00:00Z")]
    [InlineData(BudgetWindow.Month, "2026-02-28T23:59:59Z", "2026-03-01T00:00:00Z")]
    [InlineData(BudgetWindow.Month, "2028-02-29T23:59:59Z", "2028-03-01T00:00:00Z")]
    [InlineData(BudgetWindow.Month, "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z")]
    public async Task The_limit_resets_exactly_when_the_calendar_window_rolls_over(BudgetWindow window, string lastSecond, string nextWindow)
    {
        var (engine, clock, _) = TestEngine.Create(start: DateTimeOffset.Parse(lastSecond));
        var policy = BudgetPolicy.Create("roll").WithLimit(BudgetDimension.Requests, window, 2).WithBreaker(NoTrip).Build();

        await Commit(engine, policy);
        await Commit(engine, policy);
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => Commit(engine, policy));
        Assert.Equal(DateTimeOffset.Parse(nextWindow) - DateTimeOffset.Parse(lastSecond), denied.RetryAfter);
        Assert.Equal(window, denied.Window);

        clock.SetUtcNow(DateTimeOffset.Parse(nextWindow).AddTicks(-1));
        await Assert.ThrowsAsync<BudgetExceededException>(() => Commit(engine, policy));

        clock.SetUtcNow(DateTimeOffset.Parse(nextWindow));
        await Commit(engine, policy); // a fresh window
        Assert.Equal(1m, (await engine.GetUsageAsync(policy)).Single().Used);
    }

    [Fact]
    public async Task A_day_in_a_non_utc_zone_resets_at_local_midnight()
    {
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"); // UTC+9: local midnight is 15:00 UTC
        var (engine, clock, _) = TestEngine.Create(start: new DateTimeOffset(2026, 3, 15, 14, 30, 0, TimeSpan.Zero));
        var policy = BudgetPolicy.Create("tokyo").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).InTimeZone(tokyo).WithBreaker(NoTrip).Build();

        await Commit(engine, policy);
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => Commit(engine, policy));
        Assert.Equal(TimeSpan.FromMinutes(30), denied.RetryAfter);

        clock.SetUtcNow(new DateTimeOffset(2026, 3, 15, 15, 0, 0, TimeSpan.Zero));
        await Commit(engine, policy);
    }

    [Fact]
    public async Task A_month_in_a_non_utc_zone_resets_at_local_midnight_of_the_first()
    {
        var losAngeles = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles"); // PST in February: UTC-8
        var (engine, clock, _) = TestEngine.Create(start: new DateTimeOffset(2026, 3, 1, 7, 59, 0, TimeSpan.Zero)); // Feb 28, 23:59 local
        var policy = BudgetPolicy.Create("la").WithLimit(BudgetDimension.Requests, BudgetWindow.Month, 1).InTimeZone(losAngeles).WithBreaker(NoTrip).Build();

        await Commit(engine, policy);
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => Commit(engine, policy));
        Assert.Equal(TimeSpan.FromMinutes(1), denied.RetryAfter);

        clock.Advance(TimeSpan.FromMinutes(1)); // March 1, 00:00 local
        await Commit(engine, policy);
    }

    [Fact]
    public void Month_windows_follow_the_local_calendar_across_a_daylight_saving_change()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        // 2026-03-08 is the spring-forward day in New York; March starts at 05:00 UTC (EST), April at 04:00 UTC (EDT).
        var instant = new DateTimeOffset(2026, 3, 20, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 5, 0, 0, TimeSpan.Zero), WindowCalendar.Start(BudgetWindow.Month, instant, newYork));
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 4, 0, 0, TimeSpan.Zero), WindowCalendar.End(BudgetWindow.Month, instant, newYork));
        // The spring-forward day is 23 hours long.
        var dst = new DateTimeOffset(2026, 3, 8, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromHours(23), WindowCalendar.End(BudgetWindow.Day, dst, newYork) - WindowCalendar.Start(BudgetWindow.Day, dst, newYork));
    }

    [Fact]
    public void Hours_align_to_the_local_clock_in_a_half_hour_zone()
    {
        var kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"); // UTC+5:30
        var instant = new DateTimeOffset(2026, 3, 15, 12, 10, 0, TimeSpan.Zero); // 17:40 local
        Assert.Equal(new DateTimeOffset(2026, 3, 15, 11, 30, 0, TimeSpan.Zero), WindowCalendar.Start(BudgetWindow.Hour, instant, kolkata));
        Assert.Equal(new DateTimeOffset(2026, 3, 15, 12, 30, 0, TimeSpan.Zero), WindowCalendar.End(BudgetWindow.Hour, instant, kolkata));
    }

    [Fact]
    public void Utc_windows_computed_without_a_time_zone_match_the_ones_computed_with_TimeZoneInfo_Utc()
    {
        // The default (no zone set) is plain arithmetic; any instant from 1970 to 2200, at any offset, in any window,
        // must get the bounds TimeZoneInfo.Utc gives: month ends, leap days and year ends included.
        var instants = Gen.Long[DateTimeOffset.UnixEpoch.UtcTicks, new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks]
            .Select(Gen.Int[-14 * 60, 14 * 60], (ticks, offsetMinutes) => new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(offsetMinutes)));
        instants.Select(Gen.Int[0, 3]).Sample((instant, window) =>
        {
            var w = (BudgetWindow)window;
            Assert.Equal(WindowCalendar.Start(w, instant, TimeZoneInfo.Utc), WindowCalendar.Start(w, instant, null));
            Assert.Equal(WindowCalendar.End(w, instant, TimeZoneInfo.Utc), WindowCalendar.End(w, instant, null));
        }, iter: 20_000);
        // The edges themselves: the last tick of a leap February and of a year.
        foreach (var edge in new[] { new DateTimeOffset(2028, 3, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1) })
        {
            foreach (var w in new[] { BudgetWindow.Minute, BudgetWindow.Hour, BudgetWindow.Day, BudgetWindow.Month })
            {
                Assert.Equal(WindowCalendar.End(w, edge, TimeZoneInfo.Utc), WindowCalendar.End(w, edge, null));
            }
        }
    }

    [Fact]
    public void A_budget_without_a_time_zone_reports_utc_and_a_copy_keeps_the_zone_it_was_given()
    {
        var utc = BudgetPolicy.Create("utc").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).Build();
        var tokyo = BudgetPolicy.Create("tokyo").InTimeZone("Asia/Tokyo").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).Build();

        Assert.Same(TimeZoneInfo.Utc, utc.TimeZone);
        Assert.Equal("Asia/Tokyo", tokyo.TimeZone.Id);
        Assert.Equal("Asia/Tokyo", tokyo.ToBuilder().WithName("tokyo-2").Build().TimeZone.Id);
        var instant = new DateTimeOffset(2026, 3, 15, 20, 0, 0, TimeSpan.Zero); // 05:00 on the 16th in Tokyo
        Assert.Equal(new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.Zero), utc.GetWindowBounds(BudgetWindow.Day, instant).Start);
        Assert.Equal(new DateTimeOffset(2026, 3, 15, 15, 0, 0, TimeSpan.Zero), tokyo.GetWindowBounds(BudgetWindow.Day, instant).Start);
    }

    private static async Task Commit(BudgetEngine engine, BudgetPolicy policy)
    {
        var reservation = await engine.ReserveAsync(policy, TestEngine.Estimate(10, 10));
        await engine.CommitAsync(reservation, new TokenUsage(10, 10));
    }
}
