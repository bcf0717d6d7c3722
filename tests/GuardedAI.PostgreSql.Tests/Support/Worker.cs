using System.Diagnostics;
using System.Globalization;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>A GuardedAI.PostgreSql.LoadWorker process: started with `dotnet &lt;dll&gt;`, its output read line by line.</summary>
internal sealed class Worker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Worker(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_lines) _lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_lines) _lines.Add("ERR " + e.Data);
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _exited.TrySetResult();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (process.HasExited) _exited.TrySetResult();
    }

    public static Worker Start(params string[] settings)
    {
        var dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory.Replace("GuardedAI.PostgreSql.Tests", "GuardedAI.PostgreSql.LoadWorker"), "GuardedAI.PostgreSql.LoadWorker.dll"));
        if (!File.Exists(dll)) throw new FileNotFoundException($"The load worker was not built at {dll}.");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var s in settings) info.ArgumentList.Add(s);
        return new Worker(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToArray(); } }

    /// <summary>Calls the worker reported as committed (acknowledged). A kill can cut the last line short; only whole lines count.</summary>
    public IReadOnlyList<Acknowledged> Committed => Lines
        .Where(l => l.StartsWith("C ", StringComparison.Ordinal))
        .Select(l => l.Split(' '))
        .Where(p => p.Length == 5 && p[1].Length == 32 && decimal.TryParse(p[4], NumberStyles.Number, CultureInfo.InvariantCulture, out _))
        .Select(p => new Acknowledged(p[1], long.Parse(p[2], CultureInfo.InvariantCulture), long.Parse(p[3], CultureInfo.InvariantCulture),
            decimal.Parse(p[4], NumberStyles.Number, CultureInfo.InvariantCulture)))
        .ToList();

    public bool HasSpilled => Lines.Contains("S 1");

    public int CommittedAfterSpillStarted => Lines.SkipWhile(l => l != "S 1").Count(l => l.StartsWith("C ", StringComparison.Ordinal));

    public string Done => Lines.SingleOrDefault(l => l.StartsWith("DONE", StringComparison.Ordinal)) ?? throw new InvalidOperationException("no DONE line:\n" + Output);

    public long DoneValue(string key) => long.Parse(Done.Split(' ').Single(p => p.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..], CultureInfo.InvariantCulture);

    public void Stop() => _process.StandardInput.WriteLine("stop");

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _exited.Task.WaitAsync(timeout);
        _process.WaitForExit(); // drains the output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL on Linux: no finally blocks, no flush, no dispose.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public string Output => string.Join('\n', Lines.TakeLast(30));

    /// <summary>What the worker's ledger logged (its warnings, errors and spill events) and its spill changes, for a failure message.</summary>
    public string Diagnostics => string.Join('\n', Lines.Where(l => !l.StartsWith("C ", StringComparison.Ordinal)).TakeLast(40));

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed record Acknowledged(string Id, long Input, long Output, decimal Cost);
