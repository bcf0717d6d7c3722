using Microsoft.Extensions.Logging;

/// <summary>The ledger's warnings and errors, one line each on standard error: the test shows them when a worker does not
/// get where it should (for instance a spill that does not drain), so a failure says why.</summary>
internal sealed class StderrLogger : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Id} {formatter(state, exception)}";
        if (exception is not null) line += $" | {exception.GetType().Name}: {exception.Message}";
        Console.Error.WriteLine(line.ReplaceLineEndings(" "));
    }
}
