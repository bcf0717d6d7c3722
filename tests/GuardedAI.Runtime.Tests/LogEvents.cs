using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Tests;

/// <summary>A logger provider that completes a task when a log event with a given id is written: tests wait for work a host does in the background without polling or sleeping.</summary>
internal sealed class LogEvents : ILoggerProvider, ILogger
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource<string>> _waiting = new();

    /// <summary>The message of the next event <paramref name="eventId"/> written after this call.</summary>
    public Task<string> Next(int eventId)
    {
        var source = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[eventId] = source;
        return source.Task;
    }

    public ILogger CreateLogger(string categoryName) => this;
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (_waiting.TryRemove(eventId.Id, out var source)) source.TrySetResult(formatter(state, exception) + (exception is null ? "" : " " + exception));
    }

    public void Dispose() { }
}
