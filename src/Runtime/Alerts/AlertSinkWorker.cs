using System.Globalization;
using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>
/// One sink's delivery queue and loop: a sink that hangs delays only its own alerts, never another sink's and never a
/// call. Each send is cancelled after <see cref="AlertSettings.SendTimeout"/>. With a digest interval, alerts of the
/// digest levels wait in a buffer and go out together as one <see cref="AlertLevel.Digest"/> alert.
/// A failed send is logged as one line with its reason; the first failure marks the sink failing and reports it once
/// (<see cref="SinkHealthChanged"/>), the first success after that marks it delivering again.
/// </summary>
internal sealed class AlertSinkWorker : IAsyncDisposable
{
    private readonly AlertQueue _queue; // BudgetAlert, or a flush marker
    private readonly AlertSettings _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GuardedAIMetrics? _metrics;
    private readonly List<BudgetAlert> _digest = new();
    private readonly ITimer? _digestTimer;
    private readonly CancellationTokenSource _stopping = new();
    private long _dropped;
    private long _failed;
    // Touched only by the delivery loop (one send at a time).
    private bool _failing;
    private long _failedWhileFailing;
    private DateTimeOffset _failingSince;

    public AlertSinkWorker(IBudgetAlertSink sink, AlertSettings options, TimeProvider time, ILogger logger, GuardedAIMetrics? metrics)
    {
        Sink = sink;
        Name = SafeName(sink);
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _queue = new AlertQueue(options.QueueCapacity, item => CountDropped((BudgetAlert)item), DeliverAsync);
        if (options.DigestInterval is { } interval)
        {
            _digestTimer = time.CreateTimer(static state => ((AlertSinkWorker)state!).SendDigest(), this, interval, interval);
        }
    }

    public IBudgetAlertSink Sink { get; }

    /// <summary>Raised from the delivery loop when the sink starts failing or delivers again, with the alert to tell the others.</summary>
    public event Action<AlertSinkWorker, BudgetAlert>? SinkHealthChanged;

    /// <summary>Whether the last send failed.</summary>
    public bool IsFailing => Volatile.Read(ref _failing);

    public string Name { get; }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Alerts waiting for the next digest.</summary>
    public int PendingDigest { get { lock (_digest) return _digest.Count; } }

    public void Enqueue(BudgetAlert alert)
    {
        if (_digestTimer is not null && _options.IsDigested(alert.Level))
        {
            lock (_digest) _digest.Add(alert);
            return;
        }
        if (!_queue.TryAdd(alert)) CountDropped(alert);
    }

    /// <summary>Completes once everything queued before the call was handed to the sink (digest buffers excepted).</summary>
    public Task FlushAsync()
    {
        return _queue.FlushAsync();
    }

    /// <summary>Sends what the digest buffer holds as one alert now (the timer calls this every interval).</summary>
    public void SendDigest()
    {
        BudgetAlert[] items;
        lock (_digest)
        {
            if (_digest.Count == 0) return;
            items = _digest.ToArray();
            _digest.Clear();
        }
        var digest = Digest(items, _time.GetUtcNow());
        if (!_queue.TryAdd(digest)) CountDropped(digest);
    }

    internal static BudgetAlert Digest(IReadOnlyList<BudgetAlert> items, DateTimeOffset now)
    {
        var scopes = items.Select(a => a.Scope).Distinct(StringComparer.Ordinal).ToArray();
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{items.Count} GuardedAI alert(s) since {items[0].Timestamp:u}:");
        foreach (var item in items) text.Append("\n- ").Append(item.Message);
        return new BudgetAlert(AlertLevel.Digest, scopes.Length == 1 ? scopes[0] : "(several budgets)", null, null, 0, 0, 0, text.ToString(), now)
        {
            Items = items,
        };
    }

    private void CountDropped(BudgetAlert alert)
    {
        Interlocked.Increment(ref _dropped);
        _metrics?.Alert(alert.Level, "dropped", Name);
    }

    private async Task DeliverAsync()
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (item is TaskCompletionSource marker)
                {
                    marker.TrySetResult();
                    continue;
                }
                await SendAsync((BudgetAlert)item).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(BudgetAlert alert)
    {
        using var timeout = new CancellationTokenSource(_options.SendTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        try
        {
            await Sink.SendAsync(alert, linked.Token).ConfigureAwait(false);
            _metrics?.Alert(alert.Level, "sent", Name);
            if (_failing) Recovered();
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failed);
            _metrics?.Alert(alert.Level, "failed", Name);
            var reason = timeout.IsCancellationRequested
                ? $"no answer within {_options.SendTimeout}; the send was cancelled"
                : AlertFailureReason.Describe(ex);
            if (_failing)
            {
                _failedWhileFailing++;
                if (timeout.IsCancellationRequested) AlertLog.SinkTimedOut(_logger, Name, alert.Level, alert.Scope, _options.SendTimeout);
                else EngineLog.AlertSinkFailed(_logger, Name, alert.Level, alert.Scope, reason);
            }
            else
            {
                Failing(alert, reason);
            }
        }
    }

    private void Failing(BudgetAlert failed, string reason)
    {
        var now = _time.GetUtcNow();
        Volatile.Write(ref _failing, true);
        _failedWhileFailing = 1;
        _failingSince = now;
        AlertLog.SinkFailing(_logger, Name, failed.Level, failed.Scope, reason);
        Raise(new BudgetAlert(AlertLevel.AlertSinkFailing, Name, null, null, 0, 0, 0,
            $"Alert sink '{Name}' failed to deliver a {failed.Level} alert for '{failed.Scope}': {reason}. Alerts routed to it are not delivered until it works again.", now)
        {
            Advice = $"Check the '{Name}' channel's settings (address, credentials) and that its server is reachable from this host.",
        });
    }

    private void Recovered()
    {
        var now = _time.GetUtcNow();
        Volatile.Write(ref _failing, false);
        AlertLog.SinkRecovered(_logger, Name, _failedWhileFailing, _failingSince);
        Raise(new BudgetAlert(AlertLevel.AlertSinkRecovered, Name, null, null, 0, 0, 0,
            Invariant($"Alert sink '{Name}' delivers again; {_failedWhileFailing} alert(s) failed since {_failingSince:u}."), now));
    }

    private void Raise(BudgetAlert alert)
    {
        try { SinkHealthChanged?.Invoke(this, alert); }
        catch (Exception ex) { EngineLog.AlertObserverFailed(_logger, ex); }
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    // A sink's name is ours to log; a sink that throws from Name still gets delivered to.
    private static string SafeName(IBudgetAlertSink sink)
    {
        try { return string.IsNullOrWhiteSpace(sink.Name) ? sink.GetType().Name : sink.Name; }
        catch (Exception) { return sink.GetType().Name; }
    }

    /// <summary>Sends the digest buffer and what is queued (up to a few seconds), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_digestTimer is not null) await _digestTimer.DisposeAsync().ConfigureAwait(false);
        SendDigest();
        // A sink still hanging after that is cancelled; the loop ends with it.
        if (!await _queue.CompleteAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false)) _stopping.Cancel();
    }
}
