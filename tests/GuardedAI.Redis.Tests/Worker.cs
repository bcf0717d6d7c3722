using System.Diagnostics;
using System.Globalization;

namespace GuardedAI.Redis.Tests;

/// <summary>A GuardedAI.Redis.LoadWorker process: started with `dotnet &lt;dll&gt;`, its output read line by line.</summary>
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
            if (e.Data is null) return;
            lock (_lines) _lines.Add(e.Data);
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

    public static string DllPath()
    {
        // The worker is a ProjectReference (not referenced as an assembly), built next to this test project.
        var testDir = AppContext.BaseDirectory;
        var path = Path.GetFullPath(Path.Combine(testDir.Replace("GuardedAI.Redis.Tests", "GuardedAI.Redis.LoadWorker"), "GuardedAI.Redis.LoadWorker.dll"));
        if (!File.Exists(path)) throw new FileNotFoundException($"The load worker was not built at {path}.");
        return path;
    }

    public static Worker Start(string mode, params string[] settings)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DllPath());
        info.ArgumentList.Add(mode);
        foreach (var s in settings) info.ArgumentList.Add(s);
        return new Worker(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToArray(); } }

    /// <summary>Ids the worker reported as committed. A kill can cut the last line short; only whole 32-hex-digit ids count.</summary>
    public IReadOnlyList<string> Committed => Lines
        .Where(l => l.Length == 34 && l.StartsWith("C ", StringComparison.Ordinal) && l.AsSpan(2).ContainsAnyExcept("0123456789abcdef") == false)
        .Select(l => l[2..]).ToList();

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

    /// <summary>What a <c>report</c> worker printed: each limit's units used in its current window, and that window.</summary>
    public Dictionary<(string Dimension, string Window), (long Units, DateTimeOffset Start, DateTimeOffset End)> Usage() => Lines
        .Where(l => l.StartsWith("USAGE ", StringComparison.Ordinal))
        .Select(l => l.Split(' '))
        .ToDictionary(p => (p[1], p[2]), p => (long.Parse(p[3], CultureInfo.InvariantCulture),
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(p[4], CultureInfo.InvariantCulture)),
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(p[5], CultureInfo.InvariantCulture))));

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
