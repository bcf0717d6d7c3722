using System.Diagnostics;
using System.Text;

namespace GuardedAI.Cli.Tests.Support;

/// <summary>The result of one run of the tool.</summary>
public sealed record ToolRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs the built <c>guardedai</c> tool as a process: <c>dotnet GuardedAI.Cli.dll …</c>, output redirected (so plain).</summary>
public static class Tool
{
    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "GuardedAI.Cli.dll");

    public static async Task<ToolRun> RunAsync(string[] args, string? stdin = null, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = null;
        start.Environment["GUARDEDAI_DB"] = null;
        if (environment is not null) foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new ToolRun(process.ExitCode, await output, await error);
    }

    public static Task<ToolRun> RunAsync(params string[] args) => RunAsync(args, null, null);
}
