using GuardedAI.Engine;

namespace GuardedAI.Tests;

/// <summary>Tenants' charge sets are shared per budget, tenant and window like a budget's own, and bounded.</summary>
public class TenantChargeSetTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static BudgetPolicy Budget() => BudgetPolicy.Create("bot").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 100)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1_000_000).Build();

    private static BudgetPolicy Tier(string tenant) => BudgetPolicy.Create("tenant:" + tenant).WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Conversation, 3).Build();

    [Fact]
    public void A_tenant_shares_one_set_per_window_and_each_tenant_and_budget_has_its_own()
    {
        var sets = new TenantChargeSets();
        var (budget, acme, globex) = (Budget(), Tier("acme"), Tier("globex"));
        var context = new ReservationContext { Tenant = "acme" };

        var first = sets.SetFor(budget, acme, context, Noon);
        Assert.True(first.IsShared);
        Assert.Same(first, sets.SetFor(budget, acme, context, Noon.AddMinutes(59)));
        // The budget's two limits, then the tenant's daily one (its conversation limit charges nothing without a conversation).
        Assert.Equal(["bot", "bot", "tenant:acme"], first.Charges.Select(c => c.Key.Scope));

        Assert.NotSame(first, sets.SetFor(budget, globex, new ReservationContext { Tenant = "globex" }, Noon));
        Assert.NotSame(first, sets.SetFor(Budget(), acme, context, Noon)); // a budget changed in place is a new policy
        var nextHour = sets.SetFor(budget, acme, context, Noon.AddHours(1));
        Assert.NotSame(first, nextHour);
        Assert.Equal(Noon.AddHours(1), nextHour.Charges[0].Key.WindowStart);
        // A late call for the hour before (a store's clock) gets its own set and does not evict the current one.
        var late = sets.SetFor(budget, acme, context, Noon.AddMinutes(30));
        Assert.NotSame(nextHour, late);
        Assert.Same(nextHour, sets.SetFor(budget, acme, context, Noon.AddHours(1).AddMinutes(5)));
    }

    [Fact]
    public void A_call_in_a_conversation_gets_a_set_of_its_own()
    {
        var sets = new TenantChargeSets();
        var (budget, acme) = (Budget(), Tier("acme"));
        var context = new ReservationContext { Tenant = "acme", ConversationId = "c-1" };

        var set = sets.SetFor(budget, acme, context, Noon);
        Assert.False(set.IsShared);
        Assert.Contains(set.Charges, c => c.Key.Window == BudgetWindow.Conversation);
        Assert.NotSame(set, sets.SetFor(budget, acme, context, Noon));
        Assert.Equal(0, sets.Count);
    }

    [Fact]
    public void The_sets_held_stay_bounded_however_many_tenants_call()
    {
        var sets = new TenantChargeSets();
        var budget = Budget();
        for (var i = 0; i < 3 * TenantChargeSets.Capacity; i++)
        {
            var tenant = "t" + i;
            sets.SetFor(budget, Tier(tenant), new ReservationContext { Tenant = tenant }, Noon);
        }
        Assert.InRange(sets.Count, 1, TenantChargeSets.Capacity);
    }

    [Fact]
    public async Task Tenants_limits_hold_exactly_under_concurrent_calls_that_share_their_sets()
    {
        var (engine, _, _) = TestEngine.Create();
        var budget = BudgetPolicy.Create("shared").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1_000_000).Build();
        engine.AddPolicy(budget);
        for (var t = 0; t < 4; t++)
        {
            // Tripping at 100 %: the default trips the tenant's breaker at 95 %, which would deny before the limit is reached.
            engine.SetTenantPolicy("tenant-" + t, BudgetPolicy.Create("tier").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 50 + t)
                .WithThresholds(tripAtPercent: 100).Build());
        }

        var granted = new int[4];
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var t = (worker + i) % 4;
                var lease = await engine.TryReserveAsync(budget, TestEngine.Estimate(10, 10), new ReservationContext { Tenant = "tenant-" + t });
                if (!lease.IsAcquired) continue;
                Interlocked.Increment(ref granted[t]);
                await lease.CommitAsync(new TokenUsage(10, 10));
            }
        })));

        Assert.Equal([50, 51, 52, 53], granted);
    }
}
