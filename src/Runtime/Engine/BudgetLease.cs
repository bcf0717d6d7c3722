using GuardedAI.Engine;

namespace GuardedAI;

/// <summary>
/// The answer to <see cref="BudgetEngine.TryReserveAsync"/>, shaped like <c>System.Threading.RateLimiting</c>'s
/// <c>RateLimitLease</c>. When <see cref="IsAcquired"/>, the estimate is held against every limit of the call's scopes
/// until the lease is settled, exactly once, by one of:
/// <list type="bullet">
/// <item><see cref="CommitAsync"/> — the call completed; the actual usage replaces the estimate;</item>
/// <item><see cref="FailAsync(string, TokenUsage, bool)"/> or <see cref="FailAsync(Exception, TokenUsage, bool)"/> — the provider failed; the request and what was consumed count, and the breaker sees a failure;</item>
/// <item><see cref="CancelAsync"/> — the caller gave up; the request and what was consumed count;</item>
/// <item><see cref="DisposeAsync"/> of an unsettled lease — abandoned: the request and the estimated prompt tokens
/// count (the prompt may have been sent), no output tokens. Use <see cref="CancelAsync"/> with no usage when the call
/// was never sent.</item>
/// </list>
/// A lease orphaned anyway (a crash) returns to the budget when it expires (<see cref="ExpiresAt"/>).
/// When not acquired, <see cref="Denial"/> says why; nothing is held and nothing needs settling.
/// </summary>
public sealed class BudgetLease : IAsyncDisposable
{
    // An acquired lease is a handle on the engine's reservation, which keeps the call and the settlement's state; a
    // denied lease keeps what was asked for. One of the two is set: the acquired lease is two references, not a copy.
    private readonly HeldReservation? _held;
    private readonly DeniedCall? _denied;

    private BudgetLease(HeldReservation? held, DeniedCall? denied)
    {
        _held = held;
        _denied = denied;
    }

    internal static BudgetLease Acquired(HeldReservation held)
    {
        // The lease's holder reads the reservation after settling it (its id, its record): it is never reused.
        held.IsRecyclable = false;
        return new(held, null);
    }

    internal static BudgetLease Denied(string id, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context,
        DateTimeOffset decidedAt, BudgetDenial denial) =>
        new(null, new DeniedCall(id, policy, estimate, context, decidedAt, denial));

    /// <summary>Whether the budget was reserved and the call may go ahead.</summary>
    public bool IsAcquired => _held is not null;

    /// <summary>Why the call was denied; null when <see cref="IsAcquired"/>.</summary>
    public BudgetDenial? Denial => _denied?.Denial;

    /// <summary>When a denied call can be retried; null when acquired or when waiting cannot help.</summary>
    public TimeSpan? RetryAfter => Denial?.RetryAfter;

    /// <summary>A unique id, also the id of the call's usage record.</summary>
    /// <remarks>An acquired lease's id is its reservation's: one text, written only when somebody reads it.</remarks>
    public string Id => _held?.Id ?? _denied!.Id;

    /// <summary>The id as the engine made it (an acquired lease's; default for a denied one).</summary>
    internal ReservationId Key => _held?.Key ?? default;

    /// <summary>The budget the call was checked against.</summary>
    public BudgetPolicy Policy => _held?.Policy ?? _denied!.Policy;

    /// <summary>What was reserved (or asked for, when denied).</summary>
    public UsageEstimate Estimate => _held is { } held ? held.Estimate : _denied!.Estimate;

    /// <summary>Tenant, provider and tags of the call.</summary>
    public ReservationContext Context => _held?.Context ?? _denied!.Context;

    /// <summary>When the reservation was made (or denied).</summary>
    public DateTimeOffset StartedAt => _held is { } held ? held.StartedAt : _denied!.DecidedAt;

    /// <summary>When an unsettled lease is returned to the budget by the engine's sweep.</summary>
    /// <remarks>An acquired lease's is its reservation's; a denied lease's is when it was denied.</remarks>
    public DateTimeOffset ExpiresAt => _held?.ExpiresAt ?? StartedAt;

    /// <summary>The model the response names, for the metrics and the call's span (the streaming guard sets it); kept on the
    /// reservation, and a denied lease has none to keep.</summary>
    internal string? ResponseModel
    {
        get => _held?.ResponseModel;
        set { if (_held is not null) _held.ResponseModel = value; }
    }

    /// <summary>The outcome of a provider failure with <paramref name="error"/> (see <see cref="HeldReservation.Failed"/>).</summary>
    internal LeaseOutcome Failed(Exception error, TokenUsage consumed, bool reportedByProvider) =>
        _held is { } held ? held.Failed(error, consumed, reportedByProvider) : LeaseOutcome.Failed(error, consumed, reportedByProvider);

    /// <summary>Whether the lease has been settled (always true for a denied lease).</summary>
    public bool IsSettled => _held?.IsSettled ?? true;

    /// <summary>Settles with the usage the call actually had.</summary>
    /// <param name="actual">Tokens the provider reported (or that were counted).</param>
    /// <param name="reportedByProvider">Whether <paramref name="actual"/> came from the provider.</param>
    /// <returns>The usage record written to the ledger.</returns>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    public ValueTask<UsageRecord> CommitAsync(TokenUsage actual, bool reportedByProvider = true) =>
        Settle(new LeaseOutcome(UsageStatus.Success, actual, reportedByProvider, null));

    /// <summary>Settles a call the provider failed: the request counts, and so does <paramref name="consumed"/> (e.g. a
    /// stream that broke half-way). The breaker counts the failure.</summary>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    public ValueTask<UsageRecord> FailAsync(string reason, TokenUsage consumed = default, bool reportedByProvider = false) =>
        Settle(new LeaseOutcome(UsageStatus.Failed, consumed, reportedByProvider, reason));

    /// <summary>Settles a call the provider failed with <paramref name="error"/>, as <see cref="FailAsync(string, TokenUsage, bool)"/>
    /// does, and reads the error the way the breaker needs: an HTTP 429 from any SDK (its status, and its
    /// <c>retry-after</c> when the exception carries the response) opens the breaker for the provider's wait when the
    /// policy's <see cref="BreakerSettings.OpenOnProviderRateLimit"/> is on.</summary>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    public ValueTask<UsageRecord> FailAsync(Exception error, TokenUsage consumed = default, bool reportedByProvider = false)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Settle(Failed(error, consumed, reportedByProvider));
    }

    /// <summary>Settles a call the caller cancelled or abandoned: the request counts, and so does <paramref name="consumed"/>.
    /// Not a provider failure.</summary>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    public ValueTask<UsageRecord> CancelAsync(string reason, TokenUsage consumed = default, bool reportedByProvider = false) =>
        Settle(new LeaseOutcome(UsageStatus.Cancelled, consumed, reportedByProvider, reason));

    /// <summary>Settles an unsettled acquired lease as abandoned (see the class remarks); otherwise does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_held is null || !_held.TryClaim()) return;
        await _held.SettleClaimedAsync(LeaseOutcome.Abandoned(Estimate), wantRecord: false).ConfigureAwait(false);
    }

    /// <summary>Settles unless something already did (the middleware's idle watchdog races the stream's own end).</summary>
    internal async ValueTask TrySettleAsync(LeaseOutcome outcome)
    {
        if (_held is null || !_held.TryClaim()) return;
        await _held.SettleClaimedAsync(outcome, wantRecord: false).ConfigureAwait(false);
    }

    /// <summary>Settles as <see cref="CommitAsync"/> and the others do, for a caller that never reads the record: with the
    /// default in-memory ledger, no record object is made (the guards settle the reservation itself the same way).</summary>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    internal ValueTask<UsageRecord?> SettleWithoutRecordAsync(LeaseOutcome outcome) => Claim().SettleClaimedAsync(outcome, wantRecord: false);

    private ValueTask<UsageRecord> Settle(LeaseOutcome outcome) => Claim().SettleClaimedAsync(outcome, wantRecord: true)!;

    private HeldReservation Claim()
    {
        if (_held is null) throw new InvalidOperationException($"Lease {Id} was denied ({Denial!.Kind}); there is nothing to settle.");
        if (!_held.TryClaim()) throw HeldReservation.AlreadySettled(Id);
        return _held;
    }

    /// <summary>What a denied lease keeps: the call as it was asked for, and why it was denied.</summary>
    private sealed record DeniedCall(string Id, BudgetPolicy Policy, UsageEstimate Estimate, ReservationContext Context, DateTimeOffset DecidedAt, BudgetDenial Denial);
}

/// <summary>How a lease ends.</summary>
internal readonly record struct LeaseOutcome(UsageStatus Status, TokenUsage Usage, bool ReportedByProvider, string? Reason)
{
    /// <summary>For a failure: the provider answered 429, and asked to wait this long (zero when it did not say).</summary>
    public TimeSpan? RateLimitedFor { get; init; }

    /// <summary>A provider failure, with what the error says about rate limiting.</summary>
    public static LeaseOutcome Failed(Exception error, TokenUsage consumed, bool reportedByProvider) =>
        new(UsageStatus.Failed, consumed, reportedByProvider, GuardedCall.Describe(error))
        {
            // A Retry-After date is the provider's wall clock, so it is compared with the real clock, not the engine's.
            RateLimitedFor = ProviderErrors.RateLimitedFor(error, DateTimeOffset.UtcNow),
        };

    public static LeaseOutcome Abandoned(UsageEstimate estimate) =>
        new(UsageStatus.Cancelled, new TokenUsage(estimate.InputTokens, 0), false, "the lease was disposed without being settled (abandoned)");
}
