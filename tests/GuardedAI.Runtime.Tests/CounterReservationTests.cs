using GuardedAI.Engine;
using Microsoft.Extensions.Time.Testing;

namespace GuardedAI.Tests;

/// <summary>The counter store port with its reservation object: the in-memory store keeps its bookkeeping on the
/// reservation and binds its counters to a budget's shared charges, and still never passes a limit.</summary>
public class CounterReservationTests
{
    private static readonly DateTimeOffset Now = TestEngine.Start;

    private static BudgetPolicy Policy(long requests, long tokens) => BudgetPolicy.Create("port")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, requests)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, tokens)
        .Build();

    [Fact]
    public async Task Callers_sharing_one_charge_set_never_pass_a_limit_and_settle_and_reclaim_return_each_reservation_once()
    {
        var clock = new FakeTimeProvider(Now);
        var store = new InMemoryBudgetCounterStore(clock);
        var policy = Policy(requests: 300, tokens: 20_000);
        var set = Charges.SetFor(policy, ReservationContext.Empty, Now);
        Assert.Same(set, Charges.SetFor(policy, ReservationContext.Empty, Now.AddMinutes(1))); // shared within the windows
        var reserved = UsageAmounts.Of(UsageKind.ProviderRequest, 50, 50, 0m);  // 100 tokens each
        var maxSeen = new long[2];
        var settledTokens = 0L;
        var settledCount = 0;
        using var start = new ManualResetEventSlim(false);

        var callers = Enumerable.Range(0, 64).Select(c => Task.Run(async () =>
        {
            start.Wait();
            for (var i = 0; i < 20; i++)
            {
                // Every third reservation expires at once, so the sweep below races its settlement.
                var reservation = new CounterReservation($"r{c}-{i}", set, reserved, i % 3 == 0 ? Now.AddSeconds(-1) : Now.AddMinutes(5));
                var result = await store.TryReserveAsync(reservation);
                if (!result.Success) continue;
                InterlockedMax(ref maxSeen[0], reservation.Values[0]);
                InterlockedMax(ref maxSeen[1], reservation.Values[1]);
                if (i % 3 == 0) await store.ReclaimExpiredAsync(Now);
                var actual = 30 + i;
                reservation.SetActualAmounts([1, actual]);
                await store.SettleAsync(reservation);
                Interlocked.Add(ref settledTokens, actual);
                Interlocked.Increment(ref settledCount);
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(callers);
        await store.ReclaimExpiredAsync(Now);

        Assert.InRange(maxSeen[0], 1, 300);
        Assert.InRange(maxSeen[1], 1, 20_000);
        // Whether the sweep or the settlement released a reservation, its reserved amounts came back exactly once and its
        // actual amounts count in full.
        var values = await store.ReadAsync([set.Charges[0].Key, set.Charges[1].Key]);
        Assert.Equal([(long)settledCount, settledTokens], values);
        Assert.Equal(0, store.OutstandingReservations);
    }

    [Fact]
    public async Task A_reservation_is_held_once_and_one_the_store_never_held_is_added_in_full()
    {
        var store = new InMemoryBudgetCounterStore(new FakeTimeProvider(Now));
        var charge = new CounterCharge(new CounterKey("s", BudgetDimension.TotalTokens, BudgetWindow.Day, new DateTimeOffset(Now.Date, TimeSpan.Zero)), 500, 1000, Now.AddDays(1));
        var reservation = new CounterReservation("r1", [charge], Now.AddMinutes(5));

        Assert.True((await store.TryReserveAsync(reservation)).Success);
        Assert.Equal(500, reservation.Values[0]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.TryReserveAsync(reservation).AsTask());

        reservation.SetActualAmounts([120]);
        await store.SettleAsync(reservation);
        Assert.Equal(120, reservation.Values[0]);
        // Settled: a second settlement finds nothing held and adds its amounts, as a late settlement after a sweep does.
        await store.SettleAsync(reservation);
        Assert.Equal(240, reservation.Values[0]);

        var replayed = new CounterReservation("r1", [charge with { Amount = 70 }], default);
        await store.SettleAsync(replayed);
        Assert.Equal(310, replayed.Values[0]);
        Assert.Equal(0, store.OutstandingReservations);
    }

    [Fact]
    public async Task A_counter_is_found_by_every_field_of_its_key_as_the_key_compares_them()
    {
        var store = new InMemoryBudgetCounterStore(new FakeTimeProvider(Now));
        var start = new DateTimeOffset(Now.Date, TimeSpan.Zero);
        var key = new CounterKey("s", BudgetDimension.TotalTokens, BudgetWindow.Day, start);
        // The same instant written at another offset is the same key (CounterKey compares the instant), so the same counter.
        var sameInstant = key with { WindowStart = start.ToOffset(TimeSpan.FromHours(2)) };
        Assert.Equal(key, sameInstant);
        CounterKey[] others =
        [
            key with { Scope = "S" }, key with { Dimension = BudgetDimension.Requests }, key with { Window = BudgetWindow.Hour },
            key with { WindowStart = start.AddDays(1) },
        ];
        Assert.DoesNotContain(others, o => o.Equals(key));

        await store.AddAsync([new CounterCharge(key, 600, 1000, start.AddDays(1))]);
        var over = new CounterReservation("r1", [new CounterCharge(sameInstant, 500, 1000, start.AddDays(1))], Now.AddMinutes(5));
        Assert.False((await store.TryReserveAsync(over)).Success); // 600 + 500 would pass 1,000 on the one counter
        foreach (var other in others)
        {
            var fits = new CounterReservation("r-" + other.ToStorageKey(), [new CounterCharge(other, 500, 1000, start.AddDays(2))], Now.AddMinutes(5));
            Assert.True((await store.TryReserveAsync(fits)).Success);
        }

        Assert.Equal([600L, 600L, 500L, 500L, 500L, 500L], await store.ReadAsync([key, sameInstant, .. others]));
        Assert.Equal(5, store.CounterCount);
    }

    [Fact]
    public async Task A_denied_reservation_takes_nothing_and_names_the_charge()
    {
        var store = new InMemoryBudgetCounterStore(new FakeTimeProvider(Now));
        var policy = Policy(requests: 10, tokens: 150);
        var set = Charges.SetFor(policy, ReservationContext.Empty, Now);
        var first = new CounterReservation("a", set, UsageAmounts.Of(UsageKind.ProviderRequest, 50, 50, 0m), Now.AddMinutes(5));
        var second = new CounterReservation("b", set, UsageAmounts.Of(UsageKind.ProviderRequest, 50, 50, 0m), Now.AddMinutes(5));

        Assert.True((await store.TryReserveAsync(first)).Success);
        var denied = await store.TryReserveAsync(second);

        Assert.False(denied.Success);
        Assert.Equal(1, denied.FailedIndex);
        Assert.Equal(100, denied.FailedCurrent);
        Assert.Equal([1L, 100L], await store.ReadAsync([set.Charges[0].Key, set.Charges[1].Key]));
        Assert.Equal(1, store.OutstandingReservations);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen) return;
            seen = previous;
        }
    }

    [Fact]
    public void A_reservation_keeps_the_counter_units_of_its_amounts_for_every_dimension()
    {
        var random = new Random(5);
        var costs = new[] { 0m, 0.000000001m, 0.0000000015m, 0.15m, 1.23456789012m, 12_345.6789m };
        for (var i = 0; i < 2_000; i++)
        {
            var kind = (UsageKind)(i % 3);
            var amounts = UsageAmounts.Of(kind, random.NextInt64(0, 10_000_000), random.NextInt64(0, 1_000_000), costs[i % costs.Length] * random.Next(1, 1000));
            var units = amounts.Counters;
            foreach (var dimension in Enum.GetValues<BudgetDimension>())
            {
                long expected = dimension switch
                {
                    BudgetDimension.Requests => amounts.Requests,
                    BudgetDimension.InputTokens => amounts.InputTokens,
                    BudgetDimension.OutputTokens => amounts.OutputTokens,
                    BudgetDimension.TotalTokens => amounts.InputTokens + amounts.OutputTokens,
                    BudgetDimension.CostUsd => BudgetUnits.NanoUnitsInDecimal(amounts.CostUsd), // nano-dollars, rounded up
                    BudgetDimension.Turns => amounts.Turns,
                    _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
                };
                Assert.Equal(expected, units.Units(dimension));
            }
        }
    }
}
