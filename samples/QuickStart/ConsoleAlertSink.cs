using System.Collections.Concurrent;

namespace GuardedAI.Samples.QuickStart;

/// <summary>
/// Keeps alerts as they are delivered (off the call path) until the demo prints them, right after the line of the call
/// that caused them — printing on delivery would put them before it, while the call is still running.
/// </summary>
internal sealed class ConsoleAlertSink : IBudgetAlertSink
{
    private readonly ConcurrentQueue<BudgetAlert> _pending = new();

    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
    {
        _pending.Enqueue(alert);
        return ValueTask.CompletedTask;
    }

    /// <summary>Whether alerts wait to be printed.</summary>
    public bool HasPending => !_pending.IsEmpty;

    /// <summary>Prints the alerts delivered since the last call, indented under the line printed before.</summary>
    public void PrintPending()
    {
        while (_pending.TryDequeue(out var alert))
        {
            var marker = alert.Level switch
            {
                AlertLevel.Warning => "[ALERT warning ]",
                AlertLevel.Critical => "[ALERT critical]",
                AlertLevel.Emergency => "[ALERT EMERGENCY]",
                AlertLevel.BreakerOpened => "[BREAKER open  ]",
                AlertLevel.BreakerClosed => "[BREAKER closed]",
                _ => $"[ALERT {alert.Level}]",
            };
            Console.WriteLine($"      {marker} {alert.Message}");
        }
    }
}
