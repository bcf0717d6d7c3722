// GuardedAI MultiInstance: several processes of one application share one budget (Redis counters) and one ledger
// (PostgreSQL), and one report covers them all.
//
//   dotnet run --project samples/MultiInstance -- --redis 127.0.0.1:6379 \
//       --postgres "Host=127.0.0.1;Database=postgres;Username=postgres;Password=…" [--instances 3] [--calls 60]
//
// The connection strings can come from the environment instead (GuardedAI__Redis__Configuration,
// GuardedAI__PostgreSql__ConnectionString), which keeps the password off the command line. No LLM is called: each
// instance settles its calls with simulated usage, as a provider would report it.
using System.Diagnostics;
using System.Globalization;
using GuardedAI;
using GuardedAI.PostgreSql;
using GuardedAI.Redis;
using GuardedAI.Reports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var arguments = Arguments.Parse(args);

// A budget of its own for each run of the sample, shared by every instance of that run: 150 requests a day.
var budget = arguments.Get("budget") ?? "multi-instance-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
var configuration = new ConfigurationBuilder()
    .AddInMemoryCollection(new Dictionary<string, string?>
    {
        [$"GuardedAI:Budgets:{budget}:DailyRequests"] = "150",
        [$"GuardedAI:Budgets:{budget}:DailyCostUsd"] = "5",
        ["GuardedAI:Redis:Configuration"] = arguments.Get("redis"),
        ["GuardedAI:PostgreSql:ConnectionString"] = arguments.Get("postgres"),
    }.Where(p => p.Value is not null))
    .AddEnvironmentVariables()
    .Build();
if (string.IsNullOrEmpty(configuration["GuardedAI:Redis:Configuration"]) || string.IsNullOrEmpty(configuration["GuardedAI:PostgreSql:ConnectionString"]))
{
    Console.Error.WriteLine("Give --redis HOST:PORT and --postgres \"Host=…;Database=…;Username=…;Password=…\" (or GuardedAI__Redis__Configuration and GuardedAI__PostgreSql__ConnectionString).");
    return 2;
}

if (arguments.Get("instance") is { } instance)
{
    return await Instance.RunAsync(configuration, budget, int.Parse(instance, CultureInfo.InvariantCulture), int.Parse(arguments.Get("calls") ?? "60", CultureInfo.InvariantCulture));
}

// The coordinator: start the instances as separate processes, wait for them, then report from the shared ledger.
var count = int.Parse(arguments.Get("instances") ?? "3", CultureInfo.InvariantCulture);
Console.WriteLine($"Starting {count} instances on budget '{budget}' (150 requests a day, shared through Redis)…");
var processes = Enumerable.Range(1, count).Select(i =>
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
    if (!Environment.ProcessPath!.EndsWith("MultiInstance", StringComparison.Ordinal)) start.ArgumentList.Add(typeof(Instance).Assembly.Location); // started by `dotnet MultiInstance.dll`
    foreach (var arg in args) start.ArgumentList.Add(arg);
    start.ArgumentList.Add("--instance");
    start.ArgumentList.Add(i.ToString(CultureInfo.InvariantCulture));
    start.ArgumentList.Add("--budget");
    start.ArgumentList.Add(budget);
    return Process.Start(start)!;
}).ToList();
var served = 0;
foreach (var process in processes)
{
    var output = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    Console.Write(output);
    served += output.Split('\n').Where(l => l.StartsWith("instance ", StringComparison.Ordinal)).Sum(l => int.Parse(l.Split(' ')[3], CultureInfo.InvariantCulture));
}

// One report over every instance: the same query works on a SQLite file (SqliteUsageQueries) or here, PostgreSQL.
await using var ledger = new PostgreSqlUsageQueries(configuration["GuardedAI:PostgreSql:ConnectionString"]!, configuration["GuardedAI:PostgreSql:Schema"] ?? "guardedai");
var today = DateTimeOffset.UtcNow.Date;
var report = await ledger.BuildAsync(new UsageAggregateQuery
{
    From = today, To = today.AddDays(1),
    GroupBy = [UsageGrouping.Tag("instance")],
    Filter = new UsageFilter { Budget = budget },
});
Console.WriteLine();
Console.WriteLine($"One report from {ledger.Location}:");
foreach (var row in report.Rows.OrderBy(r => r.Keys[0], StringComparer.Ordinal))
{
    Console.WriteLine($"  instance {row.Keys[0],-4} {row.Totals.Requests - row.Totals.Denied,5} served {row.Totals.Denied,5} denied {row.Totals.InputTokens + row.Totals.OutputTokens,8} tokens ${row.Totals.CostUsd:0.000000}");
}
Console.WriteLine($"  all           {report.Total.Requests - report.Total.Denied,5} served {report.Total.Denied,5} denied {report.Total.InputTokens + report.Total.OutputTokens,8} tokens ${report.Total.CostUsd:0.000000}");
Console.WriteLine(report.Total.Requests - report.Total.Denied == served
    ? $"The report equals what the instances served ({served}); together they stayed within the one budget (150 a day; its breaker trips at 95%)."
    : $"MISMATCH: the instances served {served}, the report says {report.Total.Requests - report.Total.Denied}.");
return report.Total.Requests - report.Total.Denied == served ? 0 : 1;

/// <summary>One instance of the application: Redis counters and the PostgreSQL ledger, added in the builder.</summary>
internal static class Instance
{
    public static async Task<int> RunAsync(IConfiguration configuration, string budget, int instance, int calls)
    {
        var services = new ServiceCollection();
        services.AddGuardedAI(configuration).AddRedisCounters().AddPostgreSqlLedger(o => o.SpillPath = $"guardedai-multi-instance-{instance}.spill.jsonl");
        await using var provider = services.BuildServiceProvider();
        await using var engine = await provider.GetGuardedAIEngineAsync();
        var policy = engine.GetPolicy(budget)!;
        var served = 0;
        var denied = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, calls), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (call, _) =>
        {
            var random = new Random(instance * 10_000 + call);
            var estimate = engine.Estimate("gpt-4o-mini", random.Next(200, 800), 300);
            var context = new ReservationContext { Tags = new Dictionary<string, string> { ["instance"] = instance.ToString(CultureInfo.InvariantCulture) } };
            await using var lease = await engine.TryReserveAsync(policy, estimate, context);
            if (!lease.IsAcquired)
            {
                Interlocked.Increment(ref denied);
                return;
            }
            await lease.CommitAsync(new TokenUsage(estimate.InputTokens, random.Next(50, 300))); // what the provider reported
            Interlocked.Increment(ref served);
        });
        Console.WriteLine($"instance {instance} served {served} calls, {denied} denied by the shared budget");
        return 0;
    }
}

/// <summary><c>--name value</c> pairs.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Arguments Parse(string[] args)
    {
        var parsed = new Arguments();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Expected --name value, got '{args[i]}'.");
            parsed._values[args[i][2..]] = args[i + 1];
        }
        return parsed;
    }

    public string? Get(string name) => _values.TryGetValue(name, out var value) ? value : null;
}
