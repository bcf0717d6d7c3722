namespace GuardedAI;

/// <summary>
/// The circuit breaker of one scope. It opens when usage crosses the trip threshold (until the window that
/// tripped it resets), after N consecutive provider failures (for a configured time), or by hand; once the open
/// period ends it is half-open and lets exactly one probe through. An emergency stop blocks everything until
/// <see cref="Reset"/>. All transitions are under one small lock: they are rare, and the hot path
/// (<see cref="TryEnter"/> while closed) reads a volatile field without locking.
/// </summary>
public sealed class CircuitBreaker
{
    private readonly object _gate = new();
    private readonly TimeProvider _timeProvider;
    private volatile CircuitBreakerState _state = CircuitBreakerState.Closed;
    private DateTimeOffset _openUntil;
    private int _consecutiveFailures;
    private bool _probeInFlight;
    private DateTimeOffset _changedAt = DateTimeOffset.MinValue;

    internal CircuitBreaker(string scope, TimeProvider timeProvider)
    {
        Scope = scope;
        _timeProvider = timeProvider;
        EnteredAlone = [(this, false)];
    }

    /// <summary>The entry a reservation holds when it passed this breaker alone and not as a probe: shared by all such
    /// reservations (nobody writes to it), so the common case allocates nothing.</summary>
    internal (CircuitBreaker Breaker, bool IsProbe)[] EnteredAlone { get; }

    private (CircuitBreaker Breaker, bool IsProbe)[]? _enteredAfter;

    /// <summary>The entries a reservation holds when it passed <paramref name="budget"/>'s breaker and then this one (a
    /// tenant's), neither as a probe: kept for the last budget paired with this breaker, so a tenant's calls allocate
    /// nothing either. Shared and never written once published; a race costs one more array.</summary>
    internal (CircuitBreaker Breaker, bool IsProbe)[] EnteredAfter(CircuitBreaker budget)
    {
        var pair = Volatile.Read(ref _enteredAfter);
        if (pair is not null && ReferenceEquals(pair[0].Breaker, budget)) return pair;
        pair = [(budget, false), (this, false)];
        Volatile.Write(ref _enteredAfter, pair);
        return pair;
    }

    /// <summary>Raised after every state change (off the lock), with the new state.</summary>
    public event Action<CircuitBreaker, CircuitBreakerState>? StateChanged;

    /// <summary>The scope this breaker guards.</summary>
    public string Scope { get; }

    /// <summary>The current state (an open breaker whose time is up reports <see cref="CircuitBreakerState.HalfOpen"/>).</summary>
    public CircuitBreakerState State
    {
        get
        {
            var state = _state;
            if (state == CircuitBreakerState.Open && _timeProvider.GetUtcNow() >= OpenUntil) return CircuitBreakerState.HalfOpen;
            return state;
        }
    }

    /// <summary>Until when an open breaker stays open.</summary>
    public DateTimeOffset OpenUntil { get { lock (_gate) return _openUntil; } }

    /// <summary>Why the breaker last opened.</summary>
    public string? Reason { get; private set; }

    /// <summary>Provider failures since the last success.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>Opens the breaker by hand for <paramref name="duration"/>.</summary>
    public void Trip(string reason, TimeSpan duration) => Open(reason, _timeProvider.GetUtcNow() + duration);

    /// <summary>Blocks every call until <see cref="Reset"/>.</summary>
    public void EmergencyStop(string reason)
    {
        lock (_gate)
        {
            _state = CircuitBreakerState.EmergencyStopped;
            Reason = reason;
            _openUntil = DateTimeOffset.MaxValue;
            _changedAt = _timeProvider.GetUtcNow();
        }
        StateChanged?.Invoke(this, CircuitBreakerState.EmergencyStopped);
    }

    /// <summary>Closes the breaker, whatever its state, and clears the failure count.</summary>
    public void Reset()
    {
        bool changed;
        lock (_gate)
        {
            changed = _state != CircuitBreakerState.Closed;
            _state = CircuitBreakerState.Closed;
            _consecutiveFailures = 0;
            _probeInFlight = false;
            Reason = null;
            if (changed) _changedAt = _timeProvider.GetUtcNow();
            TripCause = null;
        }
        if (changed) StateChanged?.Invoke(this, CircuitBreakerState.Closed);
    }

    /// <summary>Asks to let a call through.</summary>
    /// <param name="isProbe">True when this call is the half-open probe and must report back.</param>
    /// <param name="retryAfter">When denied, how long until a call may pass (null for an emergency stop).</param>
    /// <returns>Whether the call may go ahead.</returns>
    public bool TryEnter(out bool isProbe, out TimeSpan? retryAfter)
    {
        isProbe = false;
        retryAfter = null;
        if (_state == CircuitBreakerState.Closed) return true;

        lock (_gate)
        {
            var now = _timeProvider.GetUtcNow();
            switch (_state)
            {
                case CircuitBreakerState.Closed:
                    return true;
                case CircuitBreakerState.EmergencyStopped:
                    return false;
                case CircuitBreakerState.Open when now < _openUntil:
                    retryAfter = _openUntil - now;
                    return false;
                default:
                    // Open with its time up, or half-open: exactly one probe at a time.
                    _state = CircuitBreakerState.HalfOpen;
                    if (_probeInFlight)
                    {
                        retryAfter = TimeSpan.FromSeconds(1);
                        return false;
                    }
                    _probeInFlight = true;
                    isProbe = true;
                    return true;
            }
        }
    }

    /// <summary>Reports a successful provider call; a successful probe closes the breaker.</summary>
    public void OnSuccess(bool wasProbe)
    {
        // Read first: every caller writing the same field would make its cache line bounce between cores.
        if (Volatile.Read(ref _consecutiveFailures) != 0) Volatile.Write(ref _consecutiveFailures, 0);
        if (!wasProbe) return;
        lock (_gate)
        {
            _probeInFlight = false;
            if (_state != CircuitBreakerState.HalfOpen) return;
            _state = CircuitBreakerState.Closed;
            Reason = null;
            _changedAt = _timeProvider.GetUtcNow();
            TripCause = null;
        }
        StateChanged?.Invoke(this, CircuitBreakerState.Closed);
    }

    /// <summary>Reports a failed provider call; a failed probe, or the Nth consecutive failure, opens the breaker.</summary>
    public void OnFailure(bool wasProbe, BreakerSettings settings, string reason)
    {
        var failures = Interlocked.Increment(ref _consecutiveFailures);
        if (wasProbe)
        {
            lock (_gate) _probeInFlight = false;
            Open($"probe failed: {reason}", _timeProvider.GetUtcNow() + settings.FailureOpenDuration);
        }
        else if (settings.ConsecutiveFailuresToOpen > 0 && failures >= settings.ConsecutiveFailuresToOpen && _state == CircuitBreakerState.Closed)
        {
            Open($"{failures} consecutive provider failures; last: {reason}", _timeProvider.GetUtcNow() + settings.FailureOpenDuration);
        }
    }

    /// <summary>Reports a provider's HTTP 429: the breaker opens for the provider's wait (or the failure open duration
    /// when it gave none), unless it is already open for longer.</summary>
    internal void OnRateLimited(bool wasProbe, BreakerSettings settings, TimeSpan retryAfter, string reason)
    {
        Interlocked.Increment(ref _consecutiveFailures);
        if (wasProbe) lock (_gate) _probeInFlight = false;
        var wait = retryAfter > TimeSpan.Zero ? retryAfter : settings.FailureOpenDuration;
        var until = _timeProvider.GetUtcNow() + wait;
        if (State == CircuitBreakerState.Open && OpenUntil >= until) return;
        Open($"the provider rate-limited the call (HTTP 429){(retryAfter > TimeSpan.Zero ? $" and asked to retry after {Denials.FormatDuration(retryAfter)}" : "")}; last: {reason}", until);
    }

    /// <summary>Returns an unused probe slot (the probe was denied by the budget, or cancelled before it reached the provider).</summary>
    public void AbandonProbe()
    {
        lock (_gate) _probeInFlight = false;
    }

    /// <summary>The limit whose trip threshold opened the breaker, when that is why it is open.</summary>
    public BreakerTrip? TripCause { get; private set; }

    /// <summary>Opens the breaker until <paramref name="until"/> (keeps a later deadline if already open).</summary>
    /// <param name="reason">Why, in words.</param>
    /// <param name="until">When a probe may go through.</param>
    /// <param name="cause">The limit that tripped it, if a threshold did.</param>
    public void Open(string reason, DateTimeOffset until, BreakerTrip? cause = null)
    {
        lock (_gate)
        {
            if (_state == CircuitBreakerState.EmergencyStopped) return;
            if (_state == CircuitBreakerState.Open && _openUntil >= until) return;
            _state = CircuitBreakerState.Open;
            _openUntil = until;
            Reason = reason;
            TripCause = cause;
            _probeInFlight = false;
            _changedAt = _timeProvider.GetUtcNow();
        }
        StateChanged?.Invoke(this, CircuitBreakerState.Open);
    }

    /// <summary>
    /// Names the limit that opened a breaker taken from the store (which keeps its reason, not its cause), while it is
    /// still open for the reason that was read; false when it changed meanwhile or already has a cause.
    /// </summary>
    internal bool Explain(BreakerTrip cause, string? reasonRead)
    {
        lock (_gate)
        {
            if (_state is not (CircuitBreakerState.Open or CircuitBreakerState.HalfOpen) || TripCause is not null || Reason != reasonRead) return false;
            TripCause = cause;
            return true;
        }
    }

    /// <summary>The state to persist (half-open is stored as open with its time up).</summary>
    internal BreakerSnapshot ToSnapshot()
    {
        lock (_gate)
        {
            var state = _state == CircuitBreakerState.HalfOpen ? CircuitBreakerState.Open : _state;
            return new BreakerSnapshot(Scope, state, state == CircuitBreakerState.Closed ? DateTimeOffset.MinValue : _openUntil, Reason, _changedAt);
        }
    }

    /// <summary>Takes a stored state that is newer than this breaker's last change, without raising <see cref="StateChanged"/>.</summary>
    /// <returns>Whether the state was applied.</returns>
    internal bool Apply(BreakerSnapshot snapshot)
    {
        lock (_gate)
        {
            if (snapshot.UpdatedAt <= _changedAt) return false;
            _changedAt = snapshot.UpdatedAt;
            Reason = snapshot.Reason;
            TripCause = null;
            _openUntil = snapshot.OpenUntil;
            _probeInFlight = false;
            switch (snapshot.State)
            {
                case CircuitBreakerState.Open:
                case CircuitBreakerState.HalfOpen:
                    _state = CircuitBreakerState.Open;
                    break;
                case CircuitBreakerState.EmergencyStopped:
                    _state = CircuitBreakerState.EmergencyStopped;
                    break;
                default:
                    _state = CircuitBreakerState.Closed;
                    _consecutiveFailures = 0;
                    Reason = null;
                    break;
            }
            return true;
        }
    }
}

/// <summary>The limit whose trip threshold opened a breaker.</summary>
/// <param name="Dimension">The dimension.</param>
/// <param name="Window">The window.</param>
/// <param name="Used">Usage when it tripped.</param>
/// <param name="Limit">The limit.</param>
public sealed record BreakerTrip(BudgetDimension Dimension, BudgetWindow Window, decimal Used, decimal Limit);
