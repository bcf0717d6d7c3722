using GuardedAI.Engine;
using Microsoft.Extensions.Time.Testing;

namespace GuardedAI.Tests;

/// <summary>How the in-memory store lays its counters out for callers on several cores: a budget's counters side by side
/// in one cache line, and a bound charge set that finds out when a sweep dropped its counters.</summary>
public class CounterLayoutTests
{
    private static readonly DateTimeOffset Now = TestEngine.Start;

    private static BudgetPolicy SixLimits(string name) => BudgetPolicy.Create(name)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 1_000)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10_000)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, 1_000_000)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 10_000_000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Hour, 100m)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 1_000m)
        .Build();

    private static readonly UsageAmounts Amounts = UsageAmounts.Of(UsageKind.ProviderRequest, 50, 50, 0.01m);

    [Fact]
    public async Task A_budgets_counters_made_together_share_one_cache_line_and_no_two_share_a_cell()
    {
        var store = new InMemoryBudgetCounterStore(new FakeTimeProvider(Now));
        var set = Charges.SetFor(SixLimits("layout"), ReservationContext.Empty, Now);
        Assert.True((await store.TryReserveAsync(new CounterReservation("r1", set, Amounts, Now.AddMinutes(5)))).Success);

        var addresses = store.CellAddresses(set);
        Assert.Equal(6, addresses.Count);
        Assert.Equal(6, addresses.Distinct().Count());
        Assert.Single(addresses.Select(a => a / 64).Distinct());
        // The values the reservation reported are the ones those cells hold.
        Assert.Equal(set.Charges.Select(c => Amounts.Units(c.Key.Dimension)), await store.ReadAsync([.. set.Charges.Select(c => c.Key)]));
    }

    [Fact]
    public async Task A_budgets_counters_made_by_a_conversations_call_with_a_set_of_its_own_still_share_one_line()
    {
        var store = new InMemoryBudgetCounterStore(new FakeTimeProvider(Now));
        var policy = BudgetPolicy.Create("chat")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 1_000)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, 1_000_000)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Conversation, 10_000)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 1_000m)
            .Build();
        // The first call is a conversation's: its charges (the budget's three and the conversation's) are its own.
        var conversation = Charges.SetFor(policy, new ReservationContext { ConversationId = "c-1" }, Now);
        Assert.False(conversation.IsShared);
        Assert.True((await store.TryReserveAsync(new CounterReservation("r1", conversation, Amounts, Now.AddMinutes(5)))).Success);

        // A call without a conversation shares the budget's set, bound to the counters the first call made.
        var shared = Charges.SetFor(policy, ReservationContext.Empty, Now);
        Assert.True((await store.TryReserveAsync(new CounterReservation("r2", shared, Amounts, Now.AddMinutes(5)))).Success);
        var addresses = store.CellAddresses(shared);
        Assert.Equal(3, addresses.Count);
        Assert.Single(addresses.Select(a => a / 64).Distinct());
        Assert.Equal(shared.Charges.Select(c => 2 * Amounts.Units(c.Key.Dimension)), await store.ReadAsync([.. shared.Charges.Select(c => c.Key)]));
    }

    [Fact]
    public async Task A_set_bound_before_a_sweep_dropped_its_counters_counts_on_counters_the_store_holds()
    {
        var clock = new FakeTimeProvider(Now);
        var store = new InMemoryBudgetCounterStore(clock);
        var policy = SixLimits("swept");
        var old = Charges.SetFor(policy, ReservationContext.Empty, Now);
        var first = new CounterReservation("r1", old, Amounts, Now.AddMinutes(5));
        Assert.True((await store.TryReserveAsync(first)).Success);
        await store.SettleAsync(first);
        Assert.NotEmpty(store.CellAddresses(old));

        // Two days on, the next reservation's sweep drops every counter of the old windows (an hour's grace after each ended).
        clock.Advance(TimeSpan.FromDays(2));
        var later = clock.GetUtcNow();
        var current = Charges.SetFor(policy, ReservationContext.Empty, later);
        Assert.True((await store.TryReserveAsync(new CounterReservation("r2", current, Amounts, later.AddMinutes(5)))).Success);
        Assert.Equal(6, store.CounterCount);

        // The old set is still bound to the dropped counters: a reservation with it must count on counters the store holds,
        // or what it takes would be invisible to every other caller of those windows.
        var late = new CounterReservation("r3", old, Amounts, later.AddMinutes(5));
        Assert.True((await store.TryReserveAsync(late)).Success);
        Assert.Equal(12, store.CounterCount);
        Assert.Equal(old.Charges.Select(c => Amounts.Units(c.Key.Dimension)), await store.ReadAsync([.. old.Charges.Select(c => c.Key)]));

        // The sweep dropped nothing of the current windows: their set keeps counting on its counters.
        Assert.True((await store.TryReserveAsync(new CounterReservation("r4", current, Amounts, later.AddMinutes(5)))).Success);
        Assert.Equal(current.Charges.Select(c => 2 * Amounts.Units(c.Key.Dimension)), await store.ReadAsync([.. current.Charges.Select(c => c.Key)]));
    }
}
