namespace GuardedAI.AspNetCore;

/// <summary>
/// An alert sink named <c>dashboard</c> that keeps the latest alerts of this process in memory for the dashboard and
/// <c>/alerts</c>, and remembers whether the counter store was last reported down. Alerts are not in the ledger, so after
/// a restart the list starts empty. An alert route that names sinks must name <c>dashboard</c> for its level to show.
/// </summary>
internal sealed class RecentAlerts(UsageChangeSignal signal) : IBudgetAlertSink
{
    public const int Capacity = 200;

    private readonly object _gate = new();
    private readonly Queue<BudgetAlert> _alerts = new();
    private BudgetAlert? _storeDown;

    public string Name => "dashboard";

    /// <summary>The latest <c>StoreUnavailable</c> alert not followed by a <c>StoreRecovered</c> one, or null.</summary>
    public BudgetAlert? StoreDown
    {
        get { lock (_gate) return _storeDown; }
    }

    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_alerts.Count == Capacity) _alerts.Dequeue();
            _alerts.Enqueue(alert);
            if (alert.Level == AlertLevel.StoreUnavailable) _storeDown = alert;
            else if (alert.Level == AlertLevel.StoreRecovered) _storeDown = null;
        }
        signal.Notify();
        return ValueTask.CompletedTask;
    }

    /// <summary>The latest <paramref name="count"/> alerts, newest first.</summary>
    public IReadOnlyList<BudgetAlert> Latest(int count)
    {
        lock (_gate) return _alerts.Reverse().Take(count).ToArray();
    }
}
