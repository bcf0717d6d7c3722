namespace GuardedAI.Engine;

/// <summary>
/// Turns a call's amounts into one charge per limit of each scope. Calendar limits are charged in the windows around a
/// moment; <see cref="BudgetWindow.Conversation"/> and <see cref="BudgetWindow.Run"/> limits are charged to the call's
/// conversation or run (none when the call has none), under a counter that lives until the policy's idle timeout
/// after this call.
/// </summary>
internal static class Charges
{
    /// <summary>The limit of a counter kept only for a soft limit (alert-only): never reached, so it never denies.</summary>
    public const long Unlimited = long.MaxValue;

    /// <summary>The charges of a call made for no tenant (a tenant's call: <see cref="TenantChargeSets"/>). A budget whose
    /// charges are all calendar windows (nearly every call) gets the set it shares with every call in the same windows;
    /// a call that charges a conversation or run counter gets its own.</summary>
    public static ChargeSet SetFor(BudgetPolicy policy, ReservationContext context, DateTimeOffset at)
    {
        if (ChargesScope(policy, context)) return OwnedSet(policy, null, context, at);
        if (Volatile.Read(ref policy.ChargeCache) is ChargeSet cached && cached.IsValidAt(at)) return cached;
        var set = SharedSet(policy, null, context, at);
        if (ChargeSet.Later(Volatile.Read(ref policy.ChargeCache) as ChargeSet, set) == set) Volatile.Write(ref policy.ChargeCache, set);
        return set;
    }

    /// <summary>A set that every call of <paramref name="policy"/> (for <paramref name="tenantPolicy"/>'s tenant, when given)
    /// may share while its windows are the current ones. Only for a call that charges no conversation or run counter.</summary>
    public static ChargeSet SharedSet(BudgetPolicy policy, BudgetPolicy? tenantPolicy, ReservationContext context, DateTimeOffset at)
    {
        var charges = For(policy, tenantPolicy, default, context, at);
        long from = long.MinValue, until = long.MaxValue;
        foreach (var charge in charges)
        {
            from = Math.Max(from, charge.Key.WindowStart.UtcTicks);
            until = Math.Min(until, charge.WindowEnd.UtcTicks);
        }
        return ChargeSet.Shared(charges, from, until);
    }

    /// <summary>A set of one call's own (it charges a conversation or run counter, whose key is the call's): this thread's
    /// spare set filled again when it has as many charges (<see cref="ChargeSet.TakeSpare"/>), a new one otherwise.</summary>
    public static ChargeSet OwnedSet(BudgetPolicy policy, BudgetPolicy? tenantPolicy, ReservationContext context, DateTimeOffset at)
    {
        var count = Count(policy, tenantPolicy, context);
        var set = ChargeSet.TakeSpare(count) ?? ChargeSet.Owning(new CounterCharge[count]);
        FillAll(set.Charges, policy, tenantPolicy, default, context, at);
        return set;
    }

    /// <summary>Whether the call charges a conversation or run counter of <paramref name="policy"/> (a per-call key).</summary>
    public static bool ChargesScope(BudgetPolicy policy, ReservationContext context)
    {
        if (context.ConversationId is null && context.RunId is null) return false;
        var limits = policy.Limits;
        for (var l = 0; l < limits.Length; l++)
        {
            if (limits[l].Window.IsScope() && ScopeId(limits[l].Window, context) is not null) return true;
        }
        return false;
    }

    public static CounterCharge[] For(BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageAmounts amounts, ReservationContext context, DateTimeOffset at)
    {
        var charges = new CounterCharge[Count(policy, tenantPolicy, context)];
        FillAll(charges, policy, tenantPolicy, amounts, context, at);
        return charges;
    }

    /// <summary>Writes the budget's charges, then the tenant's, into every slot of <paramref name="charges"/> (an array of
    /// <see cref="Count(BudgetPolicy, BudgetPolicy?, ReservationContext)"/> slots, new or reused).</summary>
    private static void FillAll(CounterCharge[] charges, BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageAmounts amounts, ReservationContext context, DateTimeOffset at)
    {
        var filled = Fill(charges, 0, policy, amounts, context, at);
        if (tenantPolicy is not null) filled = Fill(charges, filled, tenantPolicy, amounts, context, at);
        // Every slot is written: a reused array keeps nothing of its last call.
        if (filled != charges.Length) throw new InvalidOperationException($"Budget '{policy.Name}': {filled} charges were made where {charges.Length} were counted.");
    }

    /// <summary>How many charges a call makes for <paramref name="policy"/> and, when given, its tenant's policy.</summary>
    private static int Count(BudgetPolicy policy, BudgetPolicy? tenantPolicy, ReservationContext context) =>
        Count(policy, context) + (tenantPolicy is null ? 0 : Count(tenantPolicy, context));

    /// <summary>The same counters as <paramref name="reservation"/>, with its actual amounts.</summary>
    public static CounterCharge[] Actual(CounterReservation reservation)
    {
        var charges = new CounterCharge[reservation.Count];
        for (var i = 0; i < charges.Length; i++) charges[i] = reservation[i] with { Amount = reservation.ActualAmount(i) };
        return charges;
    }

    /// <summary>The counter scope of a conversation or run of <paramref name="policy"/>: <c>conversation:budget:id</c>, <c>run:budget:id</c>.</summary>
    public static string ScopeOf(BudgetPolicy policy, BudgetWindow window, string id) => ScopeNames.Shared.Of(policy.Name, window, id);

    /// <summary>The id a scope window is charged to for this call, or null when the call has none.</summary>
    public static string? ScopeId(BudgetWindow window, ReservationContext context) => window switch
    {
        BudgetWindow.Conversation => context.ConversationId,
        BudgetWindow.Run => context.RunId,
        _ => null,
    };

    /// <summary>How many charges <paramref name="policy"/> makes for a call in <paramref name="context"/>.</summary>
    public static int CountFor(BudgetPolicy policy, ReservationContext context) => Count(policy, context);

    // Indexed loops over the policy's arrays, not foreach: ImmutableArray's indexer and Length are compiled into this
    // assembly's ReadyToRun code, where its enumerator (four methods per element type) is compiled just in time on a
    // process's first call.
    private static int Count(BudgetPolicy policy, ReservationContext context)
    {
        var count = 0;
        var limits = policy.Limits;
        for (var l = 0; l < limits.Length; l++)
        {
            if (!limits[l].Window.IsScope() || ScopeId(limits[l].Window, context) is not null) count++;
        }
        var softLimits = policy.Thresholds.SoftLimits;
        for (var s = 0; s < softLimits.Length; s++)
        {
            var soft = softLimits[s];
            if (!soft.Window.IsScope() && policy.GetLimit(soft.Dimension, soft.Window) is null) count++;
        }
        return count;
    }

    private static int Fill(CounterCharge[] charges, int i, BudgetPolicy policy, UsageAmounts amounts, ReservationContext context, DateTimeOffset at)
    {
        var limitUnits = policy.LimitUnits;
        for (var l = 0; l < policy.Limits.Length; l++)
        {
            var limit = policy.Limits[l];
            var units = limitUnits[l];
            if (limit.Window.IsScope())
            {
                if (ScopeId(limit.Window, context) is not { } id) continue;
                // A run guard holds back part of each run limit from the loop's requests, for the final answer.
                if (limit.Window == BudgetWindow.Run && context.RunHeadroom > 0) units = (long)Math.Floor(units * (1 - Math.Min(1, context.RunHeadroom)));
                charges[i++] = new CounterCharge(new CounterKey(ScopeOf(policy, limit.Window, id), limit.Dimension, limit.Window, DateTimeOffset.UnixEpoch),
                    amounts.Units(limit.Dimension), units, at + policy.ScopeIdleTimeout);
                continue;
            }
            var bounds = policy.Bounds(limit.Window, at);
            charges[i++] = new CounterCharge(new CounterKey(policy.Name, limit.Dimension, limit.Window, bounds.Start), amounts.Units(limit.Dimension), units, bounds.End);
        }
        // A soft limit without a hard limit beside it still needs its usage counted; it gets a counter that never denies.
        var softLimits = policy.Thresholds.SoftLimits;
        for (var s = 0; s < softLimits.Length; s++)
        {
            var soft = softLimits[s];
            if (soft.Window.IsScope() || policy.GetLimit(soft.Dimension, soft.Window) is not null) continue;
            var bounds = policy.Bounds(soft.Window, at);
            charges[i++] = new CounterCharge(new CounterKey(policy.Name, soft.Dimension, soft.Window, bounds.Start), amounts.Units(soft.Dimension), Unlimited, bounds.End);
        }
        return i;
    }
}
