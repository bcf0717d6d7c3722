namespace GuardedAI.Tests.Rollout;

/// <summary>A proposed budget runs in shadow beside the enforced one on the same calls, under its own name.</summary>
public class ShadowCompanionTests
{
    private static BudgetPolicy Proposed(string name, EnforcementMode mode = EnforcementMode.Enforce) => BudgetPolicy.Create(name)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 6)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, 40_000)
        .WithMaxOutputTokens(1_000)
        .WithMode(mode)
        .Build();

    [Fact]
    public async Task The_companion_marks_exactly_the_calls_it_would_deny_if_enforced_while_the_budget_decides()
    {
        var calls = ShadowSequence.Generate(1_000, seed: 7);
        var live = BudgetPolicy.Create("bot").WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 9)
            .WithShadowCompanion(Proposed("bot-proposed")).Build();
        Assert.Equal(EnforcementMode.Shadow, live.ShadowCompanion!.Mode);
        var (side, sideClock, _) = TestEngine.Create();
        var (alone, aloneClock, _) = TestEngine.Create();
        await using var _1 = side;
        await using var _2 = alone;
        var proposedAlone = Proposed("bot-proposed");

        int deniedByBudget = 0, compared = 0;
        foreach (var call in calls)
        {
            sideClock.Advance(call.Gap);
            aloneClock.Advance(call.Gap);
            var lease = await side.TryReserveAsync(live, side.Estimate("gpt-4o-mini", call.Input, call.Output));
            if (!lease.IsAcquired)
            {
                // The live budget denied it: the call did not happen, so the proposal never sees it either.
                Assert.Equal("bot", lease.Denial!.Scope);
                deniedByBudget++;
                continue;
            }
            var record = await lease.CommitAsync(call.Actual);
            var reference = await alone.TryReserveAsync(proposedAlone, alone.Estimate("gpt-4o-mini", call.Input, call.Output));
            if (reference.IsAcquired) await reference.CommitAsync(call.Actual);
            Assert.Equal(reference.Denial?.Scope, record.WouldBeDeniedBy);
            Assert.Equal(reference.Denial?.Reason, record.WouldBeDeniedReason);
            if (record.WouldBeDeniedBy is not null) compared++;
        }
        Assert.InRange(deniedByBudget, 1, 900);
        Assert.InRange(compared, 20, 900);

        // Comparable in reports: the budget's own counters and the proposal's are kept under their names.
        var budgetUsage = await side.GetUsageAsync(live);
        var proposalUsage = await side.GetUsageAsync(live.ShadowCompanion);
        var aloneUsage = await alone.GetUsageAsync(proposedAlone);
        Assert.Equal(aloneUsage.Select(u => u.Used), proposalUsage.Select(u => u.Used));
        Assert.NotEqual(0m, budgetUsage.Select(u => u.Used).First());
    }

    [Fact]
    public void A_companion_needs_a_name_of_its_own()
    {
        var ex = Assert.Throws<BudgetPolicyException>(() => BudgetPolicy.Create("bot").WithShadowCompanion(Proposed("bot")));
        Assert.Contains("name of its own", ex.Message, StringComparison.Ordinal);
    }
}
