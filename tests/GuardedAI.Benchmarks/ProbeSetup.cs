using GuardedAI.Engine;

namespace GuardedAI.Benchmarks;

/// <summary>What the development probes (<see cref="Probe"/>, <see cref="ContentionProbe"/>) time their steps on: an
/// engine with the six-limit budget, one with a ledger that keeps nothing, a counter store and the budget's shared charge
/// set, an in-memory ledger and a record for it.</summary>
internal sealed class ProbeSetup : IAsyncDisposable
{
    public ProbeSetup()
    {
        Engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false });
        Engine.AddPolicy(Policy);
        Discarding = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false, Ledger = new DiscardingLedger() });
        Discarding.AddPolicy(Policy);
        Now = Parts.Time.GetUtcNow();
        Set = Charges.SetFor(Policy, ReservationContext.Empty, Now);
        Record = new UsageRecord { Id = "x", Budget = "b", Timestamp = Now, Status = UsageStatus.Success };
    }

    public BudgetPolicy Policy { get; } = Fixtures.SixLimits("probe");
    public BudgetEngine Engine { get; }
    public BudgetEngine Discarding { get; }
    public EngineParts Parts => Engine.Parts;
    public DateTimeOffset Now { get; }
    public UsageAmounts Amounts { get; } = Fixtures.Estimate.Amounts;
    public InMemoryBudgetCounterStore Store { get; } = new();
    public ChargeSet Set { get; }
    public InMemoryUsageLedger Ledger { get; } = new();
    public UsageRecord Record { get; }

    /// <summary>A reservation of the shared set, reserved and settled on <see cref="Store"/>.</summary>
    public CounterReservation ReserveAndSettle()
    {
        var reservation = new CounterReservation(ReservationIds.Next(Now), Set, Amounts, Now.AddMinutes(5));
        Store.TryReserve(reservation, Now);
        Store.Settle(reservation);
        return reservation;
    }

    /// <summary>Reserve + commit on <paramref name="engine"/>, waited for.</summary>
    public LeaseSettlement Pair(BudgetEngine engine)
    {
        var lease = engine.TryReserveAsync(Policy, Fixtures.Estimate).Result;
        return lease.CommitAsync(Fixtures.Actual).Result;
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        await Discarding.DisposeAsync();
    }
}
