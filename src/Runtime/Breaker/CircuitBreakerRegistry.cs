using System.Collections.Concurrent;

namespace GuardedAI;

/// <summary>The circuit breakers of an engine, one per scope, created on first use.</summary>
public sealed class CircuitBreakerRegistry
{
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    internal CircuitBreakerRegistry(TimeProvider timeProvider) => _timeProvider = timeProvider;

    /// <summary>Raised after any breaker changes state.</summary>
    public event Action<CircuitBreaker, CircuitBreakerState>? StateChanged;

    /// <summary>The breaker of <paramref name="scope"/>.</summary>
    public CircuitBreaker Get(string scope) => _breakers.GetOrAdd(scope, s =>
    {
        var breaker = new CircuitBreaker(s, _timeProvider);
        breaker.StateChanged += (b, state) => StateChanged?.Invoke(b, state);
        return breaker;
    });

    /// <summary>Every breaker created so far.</summary>
    public IReadOnlyCollection<CircuitBreaker> All => (IReadOnlyCollection<CircuitBreaker>)_breakers.Values;

    /// <summary>Stops every scope, now and any created later, until <see cref="ResetAll"/>.</summary>
    public void EmergencyStopAll(string reason)
    {
        GlobalStopReason = reason;
        foreach (var breaker in _breakers.Values) breaker.EmergencyStop(reason);
    }

    /// <summary>Closes every breaker and lifts a global emergency stop.</summary>
    public void ResetAll()
    {
        GlobalStopReason = null;
        foreach (var breaker in _breakers.Values) breaker.Reset();
    }

    /// <summary>Why every scope is stopped, or null.</summary>
    public string? GlobalStopReason { get; private set; }
}
