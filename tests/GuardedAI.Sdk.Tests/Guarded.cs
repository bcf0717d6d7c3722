namespace GuardedAI.Sdk.Tests;

/// <summary>An engine, a budget and the ledger's records: what each SDK test sets up and reads.</summary>
internal sealed class Guarded
{
    public Guarded(string model, Action<BudgetPolicyBuilder>? limits = null)
    {
        Engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false });
        var builder = BudgetPolicy.Create("sdk").ForModel(model)
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1_000_000);
        limits?.Invoke(builder);
        Policy = builder.Build();
    }

    public BudgetEngine Engine { get; }

    public BudgetPolicy Policy { get; }

    /// <summary>The provider's client with the guard in front of it (and function invocation above the guard, so
    /// each provider request of a tool loop is reserved and settled on its own).</summary>
    public IChatClient Wrap(IChatClient provider, bool invokeFunctions = false)
    {
        var builder = new ChatClientBuilder(provider);
        if (invokeFunctions) builder.UseFunctionInvocation();
        return builder.UseBudget(Engine, Policy).Build();
    }

    public IReadOnlyList<UsageRecord> Records => Engine.Ledger.Snapshot();

    public UsageRecord Single() => Assert.Single(Records);

    /// <summary>How much of a limit is in use (reservations included).</summary>
    public async Task<decimal> UsedAsync(BudgetDimension dimension) =>
        (await Engine.GetUsageAsync(Policy)).Single(u => u.Limit.Dimension == dimension).Used;

    /// <summary>The cost of <paramref name="usage"/> computed from the price table's numbers by hand, so a test does not
    /// check the engine's arithmetic with the engine's own arithmetic.</summary>
    public decimal CostByHand(string model, long input, long cached, long cacheWrite, long output)
    {
        var price = Engine.Prices.Resolve(model).Price;
        var uncached = input - cached - cacheWrite;
        return (uncached * price.InputPerMillion + cached * (price.CachedInputPerMillion ?? price.InputPerMillion)
            + cacheWrite * (price.CacheWritePerMillion ?? price.InputPerMillion) + output * price.OutputPerMillion) / 1_000_000m;
    }
}
