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
    // An acquired lease holds the engine's reservation until it claims the settlement, and then lets go of it: the engine
    // may reuse the object for another call. Everything the lease shows is its own copy, so it reads the same before,
    // during and after settling, from any thread; its holder may keep it as long as it likes.
    private HeldReservation? _held;
    private readonly BudgetDenial? _denial;
    private readonly BudgetPolicy _policy;
    private readonly ReservationContext _context;
    private readonly UsageEstimate _estimate;
    private readonly DateTimeOffset _startedAt;
    private readonly DateTimeOffset _expiresAt;
    private readonly ReservationId _key;
    private string? _id;
    // What the guards add before settling (the response's model, the failure's exception type); handed to the
    // reservation when the lease claims it, never written to it before.
    private string? _responseModel;
    private string? _errorType;

    private BudgetLease(HeldReservation held)
    {
        _held = held;
        _policy = held.Policy;
        _context = held.Context;
        _estimate = held.Estimate;
        _startedAt = held.StartedAt;
        _expiresAt = held.ExpiresAt;
        _key = held.Key;
    }

    private BudgetLease(string id, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, DateTimeOffset decidedAt, BudgetDenial denial)
    {
        _id = id;
        _policy = policy;
        _estimate = estimate;
        _context = context;
        _startedAt = _expiresAt = decidedAt;
        _denial = denial;
    }

    internal static BudgetLease Acquired(HeldReservation held)
    {
        held.KeepsSettlement = true;
        return new(held);
    }

    internal static BudgetLease Denied(string id, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context,
        DateTimeOffset decidedAt, BudgetDenial denial) =>
        new(id, policy, estimate, context, decidedAt, denial);

    /// <summary>Whether the budget was reserved and the call may go ahead.</summary>
    public bool IsAcquired => _denial is null;

    /// <summary>Why the call was denied; null when <see cref="IsAcquired"/>.</summary>
    public BudgetDenial? Denial => _denial;

    /// <summary>When a denied call can be retried; null when acquired or when waiting cannot help.</summary>
    public TimeSpan? RetryAfter => _denial?.RetryAfter;

    /// <summary>A unique id, also the id of the call's usage record.</summary>
    /// <remarks>An acquired lease's id is written from the engine's 128 bits the first time somebody reads it; every
    /// read after that returns the same string.</remarks>
    public string Id => _id ?? Interlocked.CompareExchange(ref _id, _key.ToString(), null) ?? _id;

    /// <summary>The id as the engine made it (an acquired lease's; default for a denied one).</summary>
    internal ReservationId Key => _key;

    /// <summary>The budget the call was checked against.</summary>
    public BudgetPolicy Policy => _policy;

    /// <summary>What was reserved (or asked for, when denied).</summary>
    public UsageEstimate Estimate => _estimate;

    /// <summary>Tenant, provider and tags of the call.</summary>
    public ReservationContext Context => _context;

    /// <summary>When the reservation was made (or denied).</summary>
    public DateTimeOffset StartedAt => _startedAt;

    /// <summary>When an unsettled lease is returned to the budget by the engine's sweep.</summary>
    /// <remarks>An acquired lease's is its reservation's; a denied lease's is when it was denied.</remarks>
    public DateTimeOffset ExpiresAt => _expiresAt;

    /// <summary>The model the response names, for the metrics and the call's span (the streaming guard sets it); handed to
    /// the reservation when the lease settles.</summary>
    internal string? ResponseModel
    {
        get => Volatile.Read(ref _responseModel);
        set => Volatile.Write(ref _responseModel, value);
    }

    /// <summary>The outcome of a provider failure with <paramref name="error"/>; its exception type goes to the metrics and
    /// the span when the lease settles (see <see cref="HeldReservation.Failed"/>).</summary>
    internal LeaseOutcome Failed(Exception error, TokenUsage consumed, bool reportedByProvider)
    {
        Interlocked.CompareExchange(ref _errorType, error.GetType().FullName, null);
        return LeaseOutcome.Failed(error, consumed, reportedByProvider);
    }

    /// <summary>Whether the lease has been settled (always true for a denied lease).</summary>
    public bool IsSettled => _denial is not null || Volatile.Read(ref _held) is null;

    /// <summary>Settles with the usage the call actually had.</summary>
    /// <param name="actual">Tokens the provider reported (or that were counted).</param>
    /// <param name="reportedByProvider">Whether <paramref name="actual"/> came from the provider.</param>
    /// <returns>What was counted; the call's whole usage record is in the engine's ledger under <see cref="Id"/>.</returns>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    public ValueTask<LeaseSettlement> CommitAsync(TokenUsage actual, bool reportedByProvider = true) =>
        SettleAsync(Claim(), new LeaseOutcome(UsageStatus.Success, actual, reportedByProvider, null));

    /// <summary>Settles a call the provider failed: the request counts, and so does <paramref name="consumed"/> (e.g. a
    /// stream that broke half-way). The breaker counts the failure.</summary>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    public ValueTask<LeaseSettlement> FailAsync(string reason, TokenUsage consumed = default, bool reportedByProvider = false) =>
        SettleAsync(Claim(), new LeaseOutcome(UsageStatus.Failed, consumed, reportedByProvider, reason));

    /// <summary>Settles a call the provider failed with <paramref name="error"/>, as <see cref="FailAsync(string, TokenUsage, bool)"/>
    /// does, and reads the error the way the breaker needs: an HTTP 429 from any SDK (its status, and its
    /// <c>retry-after</c> when the exception carries the response) opens the breaker for the provider's wait when the
    /// policy's <see cref="BreakerSettings.OpenOnProviderRateLimit"/> is on.</summary>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    public ValueTask<LeaseSettlement> FailAsync(Exception error, TokenUsage consumed = default, bool reportedByProvider = false)
    {
        ArgumentNullException.ThrowIfNull(error);
        var outcome = Failed(error, consumed, reportedByProvider);
        return SettleAsync(Claim(), outcome);
    }

    /// <summary>Settles a call the caller cancelled or abandoned: the request counts, and so does <paramref name="consumed"/>.
    /// Not a provider failure.</summary>
    /// <exception cref="InvalidOperationException">The lease was denied or is already settled.</exception>
    public ValueTask<LeaseSettlement> CancelAsync(string reason, TokenUsage consumed = default, bool reportedByProvider = false) =>
        SettleAsync(Claim(), new LeaseOutcome(UsageStatus.Cancelled, consumed, reportedByProvider, reason));

    /// <summary>Settles an unsettled acquired lease as abandoned (see the class remarks); otherwise does nothing.</summary>
    public ValueTask DisposeAsync() => TrySettleAsync(LeaseOutcome.Abandoned(_estimate));

    /// <summary>Settles unless something already did (the middleware's idle watchdog races the stream's own end).</summary>
    internal ValueTask TrySettleAsync(LeaseOutcome outcome)
    {
        if (TryClaim() is not { } held) return default;
        var settling = SettleAsync(held, outcome);
        return settling.IsCompletedSuccessfully ? default : new ValueTask(settling.AsTask());
    }

    private HeldReservation Claim()
    {
        if (_denial is not null) throw new InvalidOperationException($"Lease {Id} was denied ({_denial.Kind}); there is nothing to settle.");
        return TryClaim() ?? throw HeldReservation.AlreadySettled(Id);
    }

    /// <summary>Takes the reservation for the one settlement: the first caller gets it, with what the guards added; every
    /// later one gets null. The lease reads nothing of the reservation after this.</summary>
    private HeldReservation? TryClaim()
    {
        var held = Interlocked.Exchange(ref _held, null);
        // Only its lease settles a reservation it wraps, so the reservation's own claim is the lease's to take.
        if (held is null || !held.TryClaim()) return null;
        if (ResponseModel is { } model) held.ResponseModel = model;
        if (Volatile.Read(ref _errorType) is { } errorType) held.ErrorType ??= errorType;
        return held;
    }

    /// <summary>Settles the claimed reservation and hands it back for reuse once the settlement has completed.</summary>
    private static ValueTask<LeaseSettlement> SettleAsync(HeldReservation held, LeaseOutcome outcome)
    {
        var settling = held.SettleClaimedAsync(outcome);
        if (!settling.IsCompletedSuccessfully) return SettledLaterAsync(held, settling);
        settling.GetAwaiter().GetResult();
        return new(Settled(held));
    }

    private static async ValueTask<LeaseSettlement> SettledLaterAsync(HeldReservation held, ValueTask settling)
    {
        await settling.ConfigureAwait(false);
        return Settled(held);
    }

    private static LeaseSettlement Settled(HeldReservation held)
    {
        var settlement = held.Settlement;
        held.Recycle();
        return settlement;
    }
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
