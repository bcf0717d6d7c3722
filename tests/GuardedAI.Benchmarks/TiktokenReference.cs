using System.Diagnostics;

namespace GuardedAI.Benchmarks;

/// <summary>
/// npm <c>tiktoken</c> (OpenAI's tokenizer compiled to WASM) counting the same texts as <see cref="TokenizerBenchmarks"/>,
/// run by Node. It is installed with npm into the temp directory on first use; when Node or the package cannot be had,
/// the reference is reported as missing (null), never estimated.
/// </summary>
internal static class TiktokenReference
{
    public sealed record Timing(int Bytes, int Tokens, double Nanoseconds);

    public static (IReadOnlyList<Timing>? Timings, string? Why) Run(IEnumerable<int> sizes)
    {
        if (RedisServer.Which("node") is null) return (null, "node is not installed");
        var dir = Path.Combine(Path.GetTempPath(), "guardedai-bench-tiktoken");
        var modules = Path.Combine(dir, "node_modules");
        if (!Directory.Exists(Path.Combine(modules, "tiktoken")))
        {
            if (RedisServer.Which("npm") is null) return (null, "npm is not installed");
            Directory.CreateDirectory(dir);
            var (code, output) = Exec("npm", dir, "install", "--no-audit", "--no-fund", "--prefix", dir, "tiktoken@1.0.22");
            if (code != 0) return (null, "npm install tiktoken failed: " + output.Trim().Split('\n').LastOrDefault());
        }
        var files = new List<string>();
        foreach (var size in sizes)
        {
            var file = Path.Combine(dir, $"text-{size}.txt");
            File.WriteAllText(file, Fixtures.VariedText(size, 7));
            files.Add(file);
        }
        var script = Path.Combine(AppContext.BaseDirectory, "tiktoken", "count.mjs");
        var (status, text) = Exec("node", dir, [script, modules, .. files]);
        if (status != 0) return (null, "node failed: " + text.Trim().Split('\n').LastOrDefault());
        var timings = text.Split('\n').Where(l => l.StartsWith("TIKTOKEN ", StringComparison.Ordinal)).Select(l =>
        {
            var p = l.Split(' ');
            return new Timing(int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture),
                double.Parse(p[3], System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();
        return (timings, null);
    }

    private static (int Code, string Output) Exec(string program, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + stderr.Result);
    }
}
