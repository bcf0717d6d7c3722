using System.Diagnostics;
using System.Text.Json;

namespace GuardedAI.Tests;

/// <summary>
/// The benchmark program (tests/GuardedAI.Benchmarks) in its smoke mode: every benchmark's code path once, on tiny data,
/// ending with the JSON summary. No timing is asserted — only that every path runs and every key the summary promises
/// (issue 16) is there.
/// </summary>
public class BenchmarkSmokeTests
{
    private static readonly string[] Keys =
    [
        "guard_overhead_ns", "new_prompt_overhead_ns", "allocated_bytes_per_call", "guard_vs_limiter_ratio", "guard_vs_limiter_ratio_interleaved", "guarded_pairs_per_sec_64",
        "tokenizer_vs_sharptoken_throughput_ratio", "conversation_estimate_ns", "redis_pairs_per_sec", "redis_started_and_awaited_pairs_per_sec", "redis_vs_eval_ceiling_ratio",
        "redis_pairs_per_sec_4proc", "redis_p50_ms_4proc", "redis_p99_ms_4proc",
        "sqlite_appends_vs_raw_ratio", "month_report_ms", "cold_start_ratio", "cold_start_ratio_openai", "cold_start_openai_added_ms", "build_overhead_percent", "oversized_prompt_reject_ms",
        "month_report_postgres_ms", "month_report_postgres_raw_group_by_ms",
        "analyzer_overhead_no_llm_percent", "guard_near_limit_overhead_ns", "guard_tenant_overhead_ns", "guard_conversation_overhead_ns", "guard_answers_later_overhead_ns",
        "answers_later_allocated_bytes_per_call", "streaming_overhead_ns", "streaming_overhead_per_update_ns", "streaming_allocated_bytes", "streamed_per_sec_64", "bare_streamed_per_sec_64", "run_total_s",
    ];

    [Fact]
    public async Task The_benchmark_program_runs_every_path_and_prints_every_key()
    {
        var dll = Path.Combine(AppContext.BaseDirectory.Replace("GuardedAI.Runtime.Tests", "GuardedAI.Benchmarks", StringComparison.Ordinal), "GuardedAI.Benchmarks.dll");
        Assert.True(File.Exists(dll), $"The benchmark program was not built at {dll}.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--smoke");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stdout} {await stderr}");

        var last = stdout.TrimEnd().Split('\n')[^1];
        using var summary = JsonDocument.Parse(last);
        Assert.Equal("smoke", summary.RootElement.GetProperty("mode").GetString());
        foreach (var key in Keys)
        {
            Assert.True(summary.RootElement.TryGetProperty(key, out var value), $"The summary has no '{key}': {last}");
            Assert.True(value.ValueKind is JsonValueKind.Number or JsonValueKind.Null, $"'{key}' is {value.ValueKind}");
        }
        // Paths that must have run here (the others depend on what the machine has installed, e.g. redis-server).
        foreach (var key in new[] { "guard_overhead_ns", "streaming_overhead_ns", "guard_vs_limiter_ratio", "guard_vs_limiter_ratio_interleaved", "conversation_estimate_ns", "sqlite_appends_vs_raw_ratio", "month_report_ms", "cold_start_ratio", "cold_start_ratio_openai", "oversized_prompt_reject_ms" })
        {
            Assert.Equal(JsonValueKind.Number, summary.RootElement.GetProperty(key).ValueKind);
        }
    }
}
