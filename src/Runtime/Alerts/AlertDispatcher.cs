using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI;

/// <summary>
/// Delivers alerts off the call path. <see cref="Publish"/> decides de-duplication with a dictionary look-up and only
/// enqueues; one background loop claims shared de-duplication keys (Redis) and routes each alert to the sinks its level
/// is routed to, each of which has its own queue and loop (<see cref="AlertSinkWorker"/>), so a slow channel slows
/// neither a call nor another channel. Queues are bounded: a flood drops the oldest waiting alerts and counts them.
/// </summary>
/// <remarks>
/// De-duplication (<see cref="AlertDedup"/>): a windowed alert's key is (scope, dimension, level, window); once sent it
/// is held until its window ends and at least <see cref="AlertSettings.RepeatInterval"/> has passed. A recurring
/// event is held for the repeat interval. A state change (breaker, store) is sent on every change, the same state again
/// only after the repeat interval.
/// </remarks>
internal sealed class AlertDispatcher : IAsyncDisposable
{
    private readonly AlertQueue _queue; // QueuedAlert, or a flush marker
    private readonly IAlertDedupStore? _dedupStore;
    // Values are objects and routes an array by level: tables over DateTimeOffset or AlertLevel are generic code no
    // ReadyToRun image holds, compiled just in time when the engine is built (~6 ms of a process's first call, with
    // AlertSettings' own); tables over references run the framework's shared, precompiled code.
    private readonly ConcurrentDictionary<string, HeldUntil> _heldUntil = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LastState> _lastState = new(StringComparer.Ordinal);
    private readonly AlertSinkWorker[] _workers;
    private readonly AlertSinkWorker[]?[] _routes;
    private readonly AlertSettings _options;
    private readonly TimeProvider _time;
    private readonly GuardedAIMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private long _delivered;
    private long _dropped;
    private long _suppressed;
    private long _suppressedByOthers;

    /// <summary>Creates the dispatcher and starts its delivery loop.</summary>
    /// <exception cref="ArgumentException">A route names a sink that does not exist.</exception>
    public AlertDispatcher(IEnumerable<IBudgetAlertSink> sinks, AlertSettings options, TimeProvider time, ILogger? logger,
        IAlertDedupStore? dedupStore, GuardedAIMetrics? metrics)
    {
        _options = options;
        _time = time;
        _dedupStore = dedupStore;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        // A loop, not LINQ: an engine built without it does not load System.Linq on a process's first call.
        var workers = new List<AlertSinkWorker>();
        foreach (var sink in sinks)
        {
            var worker = new AlertSinkWorker(sink, options, time, _logger, metrics);
            worker.SinkHealthChanged += TellOtherSinks;
            workers.Add(worker);
        }
        _workers = workers.ToArray();
        _routes = options.HasRoutes ? Route(options) : [];
        _queue = new AlertQueue(options.QueueCapacity, _ => Interlocked.Increment(ref _dropped), RouteAsync);
    }

    /// <summary>The workers of each routed level, by level.</summary>
    /// <exception cref="ArgumentException">A route names a level that does not exist or a sink that does not.</exception>
    private AlertSinkWorker[]?[] Route(AlertSettings options)
    {
        foreach (var level in options.Routes.Keys)
        {
            if (Enum.IsDefined(level)) continue;
            _ = DisposeWorkersAsync();
            throw new ArgumentException($"An alert route is set for level {(int)level}, which is not an alert level.", nameof(options));
        }
        var routes = new AlertSinkWorker[]?[options.Routes.Keys.Max(level => (int)level) + 1];
        foreach (var (level, names) in options.Routes)
        {
            var targets = new List<AlertSinkWorker>();
            foreach (var name in names)
            {
                var named = _workers.Where(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase)).ToArray();
                if (named.Length == 0)
                {
                    _ = DisposeWorkersAsync();
                    throw new ArgumentException(
                        $"The alert route for {level} names the sink '{name}', but no alert sink has that name. Sinks: {string.Join(", ", _workers.Select(w => w.Name).DefaultIfEmpty("(none)"))}.", nameof(options));
                }
                targets.AddRange(named);
            }
            routes[(int)level] = targets.Distinct().ToArray();
        }
        return routes;
    }

    /// <summary>The sinks alerts go to.</summary>
    public IReadOnlyList<IBudgetAlertSink> Sinks => _workers.Select(w => w.Sink).ToArray();

    /// <summary>Alerts dropped because a queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped) + _workers.Sum(w => w.Dropped);

    /// <summary>Alerts not queued because an alert with the same key was sent recently.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    /// <summary>Alerts not delivered because another instance already delivered the same key.</summary>
    public long SuppressedByOtherInstances => Interlocked.Read(ref _suppressedByOthers);

    /// <summary>Alerts routed to their sinks so far.</summary>
    public long DeliveredCount => Interlocked.Read(ref _delivered);

    /// <summary>Sends that failed or timed out, over all sinks.</summary>
    public long Failed => _workers.Sum(w => w.Failed);

    /// <summary>Queues <paramref name="alert"/> unless <paramref name="dedup"/> says an alert like it was sent recently.</summary>
    /// <returns>Whether it was queued.</returns>
    public bool Publish(BudgetAlert alert, AlertDedup? dedup = null)
    {
        DateTimeOffset? claimUntil = null;
        if (dedup is { } d)
        {
            var now = alert.Timestamp;
            if (d.Kind == AlertDedupKind.StateChange)
            {
                if (!TryChangeState(d.Key, alert.Level, now)) return Suppress(alert);
            }
            else
            {
                var until = d.SuppressUntil(now, _options.RepeatInterval);
                if (!TryHold(d.Key, now, until)) return Suppress(alert);
                claimUntil = until;
            }
        }
        _metrics?.Alert(alert.Level, "published", null);
        if (!_queue.TryAdd(new QueuedAlert(alert, claimUntil is null ? null : dedup!.Value.Key, claimUntil)))
        {
            Interlocked.Increment(ref _dropped);
        }
        return true;
    }

    /// <summary>Holds <paramref name="key"/> without sending anything: a higher level was sent in its place (escalation).</summary>
    public void Hold(string key, DateTimeOffset until) =>
        _heldUntil.AddOrUpdate(key, new HeldUntil(until), (_, existing) => existing.At > until ? existing : new HeldUntil(until));

    /// <summary>Whether <paramref name="key"/> is held at <paramref name="now"/>.</summary>
    public bool IsHeld(string key, DateTimeOffset now) => _heldUntil.TryGetValue(key, out var until) && until.At > now;

    /// <summary>Forgets keys whose hold has passed (the engine's sweep calls this).</summary>
    public void ForgetExpired(DateTimeOffset now)
    {
        // Removed only if unchanged since read: the values are compared as references.
        foreach (var (key, until) in _heldUntil)
        {
            if (until.At <= now) _heldUntil.TryRemove(new KeyValuePair<string, HeldUntil>(key, until));
        }
        foreach (var (key, last) in _lastState)
        {
            if (now - last.At >= _options.RepeatInterval) _lastState.TryRemove(new KeyValuePair<string, LastState>(key, last));
        }
    }

    /// <summary>Completes once every alert published before the call has been handed to its sinks (or dropped); alerts
    /// waiting for a digest are not sent by this.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        return _queue.FlushAsync().WaitAsync(cancellationToken);
    }

    /// <summary>Sends every sink's pending digest now.</summary>
    public void SendDigests()
    {
        foreach (var worker in _workers) worker.SendDigest();
    }

    private bool Suppress(BudgetAlert alert)
    {
        Interlocked.Increment(ref _suppressed);
        _metrics?.Alert(alert.Level, "suppressed", null);
        return false;
    }

    /// <summary>The sinks <paramref name="level"/> is routed to: every sink when it has no route.</summary>
    private AlertSinkWorker[] RoutedTo(AlertLevel level) => (uint)level < (uint)_routes.Length && _routes[(int)level] is { } routed ? routed : _workers;

    /// <summary>Until when a key is held; compared by reference, as the dictionary's compare-and-swap needs.</summary>
    private sealed class HeldUntil(DateTimeOffset at)
    {
        public DateTimeOffset At { get; } = at;
    }

    /// <summary>The last state sent for a family of state changes, and when.</summary>
    private sealed class LastState(AlertLevel level, DateTimeOffset at)
    {
        public AlertLevel Level { get; } = level;
        public DateTimeOffset At { get; } = at;
    }

    private bool TryHold(string key, DateTimeOffset now, DateTimeOffset until)
    {
        while (true)
        {
            if (_heldUntil.TryGetValue(key, out var held))
            {
                if (held.At > now) return false;
                if (_heldUntil.TryUpdate(key, new HeldUntil(until), held)) return true;
            }
            else if (_heldUntil.TryAdd(key, new HeldUntil(until)))
            {
                return true;
            }
        }
    }

    private bool TryChangeState(string family, AlertLevel level, DateTimeOffset now)
    {
        while (true)
        {
            if (_lastState.TryGetValue(family, out var last))
            {
                if (last.Level == level && now - last.At < _options.RepeatInterval) return false;
                if (_lastState.TryUpdate(family, new LastState(level, now), last)) return true;
            }
            else if (_lastState.TryAdd(family, new LastState(level, now)))
            {
                return true;
            }
        }
    }

    private async Task RouteAsync()
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (item is TaskCompletionSource marker)
                {
                    // Not awaited here: a sink that hangs must not hold up routing for the others.
                    _ = CompleteWhenFlushedAsync(marker);
                    continue;
                }
                var queued = (QueuedAlert)item;
                if (queued.Key is not null && _dedupStore is not null && !await ClaimAsync(queued).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _suppressedByOthers);
                    continue;
                }
                var targets = RoutedTo(queued.Alert.Level);
                foreach (var worker in targets) worker.Enqueue(queued.Alert);
                Interlocked.Increment(ref _delivered);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// A sink started failing or delivers again: the alert goes to the sinks its level is routed to (every sink when
    /// unrouted) except the one it is about — a failing channel cannot carry news of itself. Not de-duplicated: the
    /// worker raises it once per change.
    /// </summary>
    private void TellOtherSinks(AlertSinkWorker about, BudgetAlert alert)
    {
        _metrics?.Alert(alert.Level, "published", null);
        var targets = RoutedTo(alert.Level);
        foreach (var worker in targets)
        {
            if (!ReferenceEquals(worker, about)) worker.Enqueue(alert);
        }
    }

    private async Task CompleteWhenFlushedAsync(TaskCompletionSource marker)
    {
        try { await Task.WhenAll(_workers.Select(w => w.FlushAsync())).ConfigureAwait(false); }
        finally { marker.TrySetResult(); }
    }

    private async Task<bool> ClaimAsync(QueuedAlert queued)
    {
        try
        {
            return await _dedupStore!.TryClaimAsync(queued.Key!, queued.ClaimUntil!.Value, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            // Better twice than never: an unreachable dedup store does not silence alerts.
            EngineLog.AlertDedupFailed(_logger, ex, queued.Alert.Level, queued.Alert.Scope);
            return true;
        }
    }

    private sealed record QueuedAlert(BudgetAlert Alert, string? Key, DateTimeOffset? ClaimUntil);

    private async Task DisposeWorkersAsync()
    {
        foreach (var worker in _workers) await worker.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Routes what is queued, lets every sink deliver its queue and digest (a few seconds at most), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!await _queue.CompleteAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false)) _stopping.Cancel();
        await DisposeWorkersAsync().ConfigureAwait(false);
    }
}
