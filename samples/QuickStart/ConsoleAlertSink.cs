namespace GuardedAI.Samples.QuickStart;

/// <summary>Prints alerts as they are delivered, so the demo shows them next to the call that caused them.</summary>
internal sealed class ConsoleAlertSink : IBudgetAlertSink
{
    public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken)
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
        return ValueTask.CompletedTask;
    }
}
