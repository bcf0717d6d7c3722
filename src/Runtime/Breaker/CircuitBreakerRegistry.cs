using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI;

/// <summary>
/// The circuit breakers of an engine, one per scope, created on first use. With an
/// <see cref="IBreakerStateStore"/>, every state change is saved off the call path, and the stored state is loaded
/// at start and re-read periodically, so breakers survive restarts and are shared by instances.
/// </summary>
public sealed class CircuitBreakerRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly IBreakerStateStore? _stateStore;
    private readonly ILogger _logger;
    // Only with a store: an engine without one never loads System.Threading.Channels on a process's first call (a
    // field's type is loaded with the class that declares it).
    private readonly StateSaves? _saves;
    private readonly object _globalGate = new();
    private DateTimeOffset _globalChangedAt = DateTimeOffset.MinValue;

    internal CircuitBreakerRegistry(TimeProvider timeProvider, IBreakerStateStore? stateStore = null, ILogger? logger = null)
    {
        _timeProvider = timeProvider;
        _stateStore = stateStore;
        _logger = logger ?? NullLogger.Instance;
        if (stateStore is not null) _saves = new StateSaves(stateStore, _logger);
    }

    /// <summary>Raised after any breaker changes state (not when a state is taken from the store).</summary>
    public event Action<CircuitBreaker, CircuitBreakerState>? StateChanged;

    /// <summary>The store breaker state is kept in, if any.</summary>
    public IBreakerStateStore? StateStore => _stateStore;

    /// <summary>The breaker of <paramref name="scope"/>.</summary>
    public CircuitBreaker Get(string scope) => _breakers.TryGetValue(scope, out var known) ? known : _breakers.GetOrAdd(scope, s =>
    {
        var breaker = new CircuitBreaker(s, _timeProvider);
        breaker.StateChanged += OnBreakerChanged;
        return breaker;
    });

    /// <summary>Every breaker created so far.</summary>
    public IReadOnlyCollection<CircuitBreaker> All => (IReadOnlyCollection<CircuitBreaker>)_breakers.Values;

    /// <summary>Stops every scope, now and any created later, until <see cref="ResetAll"/>.</summary>
    public void EmergencyStopAll(string reason)
    {
        SetGlobal(reason);
        foreach (var breaker in _breakers.Values) breaker.EmergencyStop(reason);
    }

    /// <summary>Closes every breaker and lifts a global emergency stop.</summary>
    public void ResetAll()
    {
        SetGlobal(null);
        foreach (var breaker in _breakers.Values) breaker.Reset();
    }

    /// <summary>Why every scope is stopped, or null.</summary>
    public string? GlobalStopReason { get; private set; }

    /// <summary>Reads the stored state and applies what is newer than each breaker's last change.</summary>
    /// <returns>How many breakers changed.</returns>
    public async ValueTask<int> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (_stateStore is null) return 0;
        var snapshots = await _stateStore.LoadAsync(cancellationToken).ConfigureAwait(false);
        var applied = 0;
        foreach (var snapshot in snapshots)
        {
            if (snapshot.Scope == BreakerSnapshot.GlobalScope)
            {
                lock (_globalGate)
                {
                    if (snapshot.UpdatedAt <= _globalChangedAt) continue;
                    _globalChangedAt = snapshot.UpdatedAt;
                    GlobalStopReason = snapshot.State == CircuitBreakerState.EmergencyStopped ? snapshot.Reason ?? "emergency stop" : null;
                }
                applied++;
                continue;
            }
            if (Get(snapshot.Scope).Apply(snapshot)) applied++;
        }
        return applied;
    }

    /// <summary>Completes once every state change made before the call is saved.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        return _saves?.FlushAsync(cancellationToken) ?? Task.CompletedTask;
    }

    /// <summary>Saves what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_saves is not null) await _saves.DisposeAsync().ConfigureAwait(false);
    }

    private void SetGlobal(string? reason)
    {
        BreakerSnapshot snapshot;
        lock (_globalGate)
        {
            GlobalStopReason = reason;
            _globalChangedAt = _timeProvider.GetUtcNow();
            snapshot = new BreakerSnapshot(BreakerSnapshot.GlobalScope, reason is null ? CircuitBreakerState.Closed : CircuitBreakerState.EmergencyStopped,
                reason is null ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue, reason, _globalChangedAt);
        }
        _saves?.Queue(snapshot);
    }

    private void OnBreakerChanged(CircuitBreaker breaker, CircuitBreakerState state)
    {
        _saves?.Queue(breaker.ToSnapshot());
        StateChanged?.Invoke(breaker, state);
    }

    /// <summary>State changes saved to the store in order, off the call path.</summary>
    private sealed class StateSaves : IAsyncDisposable
    {
        private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true }); // BreakerSnapshot or a TaskCompletionSource flush marker
        private readonly IBreakerStateStore _store;
        private readonly ILogger _logger;
        private readonly Task _loop;

        public StateSaves(IBreakerStateStore store, ILogger logger)
        {
            _store = store;
            _logger = logger;
            _loop = Task.Run(SaveLoopAsync);
        }

        public void Queue(BreakerSnapshot snapshot) => _queue.Writer.TryWrite(snapshot);

        public Task FlushAsync(CancellationToken cancellationToken)
        {
            var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_queue.Writer.TryWrite(marker)) return Task.CompletedTask;
            return marker.Task.WaitAsync(cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            _queue.Writer.TryComplete();
            await _loop.ConfigureAwait(false);
        }

        private async Task SaveLoopAsync()
        {
            await foreach (var item in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (item is TaskCompletionSource marker)
                {
                    marker.TrySetResult();
                    continue;
                }
                var snapshot = (BreakerSnapshot)item;
                try
                {
                    await _store.SaveAsync(snapshot).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    EngineLog.BreakerSaveFailed(_logger, ex, snapshot.Scope, snapshot.State);
                }
            }
        }
    }
}
