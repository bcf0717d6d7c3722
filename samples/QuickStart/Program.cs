// GuardedAI QuickStart: a FREE-tier budget driven until it trips.
// No keys and no network: a simulated provider answers, with realistic token usage.
// Set OPENAI_API_KEY (gpt-4o-mini) or ANTHROPIC_API_KEY (claude-haiku-4-5) to send the same calls to the real provider.
using System.Globalization;
using GuardedAI;
using GuardedAI.Samples.QuickStart;
using GuardedAI.Simulation;
using GuardedAI.Sqlite;
using Microsoft.Extensions.AI;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var (provider, Model, providerName) = Provider.FromEnvironment();

// The FREE tier (docs/tiers.md): 10 requests / 5,000 tokens / $0.05 an hour and 50 / 25,000 / $0.25 a day, at most
// 2,000 prompt tokens and $0.02 a request; alerts at 70% and 90%, breaker at 95%. The hourly 10 requests bite first.
var policy = BudgetPolicy.ForTier("quickstart", BudgetTier.Free).ForModel(Model).Build();

// Every call is recorded in a SQLite file, and the engine restores the current windows' spend (and open breakers)
// from it at start: run the sample twice within the hour and the second run starts where the first one stopped.
var ledgerPath = Path.Combine(Environment.CurrentDirectory, "guardedai-quickstart.db");
var options = new BudgetEngineOptions
{
    LogAlerts = false,
    Ledger = new SqliteUsageLedger(ledgerPath),
    BreakerStateStore = new SqliteBreakerStateStore(ledgerPath),
    Policies = { policy },
};
var alerts = new ConsoleAlertSink();
options.AlertSinks.Add(alerts);
var denials = new DenialRun();
await using var engine = await BudgetEngine.CreateAsync(options);
var restored = await engine.RestoreAsync();
var runStarted = engine.TimeProvider.GetUtcNow();

// The guard sits next to the provider (inside any tool loop).
IChatClient client = new ChatClientBuilder(provider).UseBudget(engine, policy).Build();

// The tokenizers' vocabularies load in the background, and until they are ready a prompt counts as a safe upper bound
// (never less than its tokens). Waiting here makes every figure below exact from the first call.
await TokenCounterRegistry.LoadAsync();

Console.WriteLine($"GuardedAI QuickStart — provider: {providerName}, model: {Model}");
Console.WriteLine($"Budget '{policy.Name}' ({policy.Tier}): {string.Join("; ", policy.Limits)}");
Console.WriteLine($"Per request: ≤ {policy.MaxInputTokens:#,0} input tokens, ≤ {policy.MaxOutputTokens:#,0} output tokens, ≤ ${policy.MaxRequestCostUsd}");
Console.WriteLine($"Ledger: {ledgerPath} (delete it to start afresh)");
Console.WriteLine(restored.Records == 0
    ? "Earlier runs: none in the current windows."
    : $"Earlier runs: {restored.Records} call(s) in the current windows restored from the ledger; circuit breaker {engine.Breakers.Get(policy.Name).State}.");
Console.WriteLine($"Prices as of {engine.Prices.AsOf}: {Model} ${engine.Prices.Resolve(Model).Price.InputPerMillion}/1M in, ${engine.Prices.Resolve(Model).Price.OutputPerMillion}/1M out");
Console.WriteLine();

// 1. One oversized prompt: rejected by the per-request cap before anything is sent (and before it is all tokenized).
Console.WriteLine("A prompt of 50,000 words:");
await Call(0, string.Concat(Enumerable.Repeat("Please read this very long document. ", 10_000)), stream: false);
denials.Print();
Console.WriteLine();

// 2. A chatty loop, the kind that runs away: the budget warns, then trips, then denies.
string[] questions =
[
    "Where is my order #1001?", "Can I change the delivery address?", "How do refunds work?", "Do you ship to Norway?",
    "What is the warranty on the kettle?", "Why was I charged twice?", "Can I speak to a human?", "How do I reset my password?",
    "Is the blue model in stock?", "What are your opening hours?", "Can I cancel my subscription?", "Where is my refund?",
];
Console.WriteLine("A support loop of 12 questions (every 5th one streamed):");
for (var i = 0; i < questions.Length; i++)
{
    await Call(i + 1, questions[i], stream: (i + 1) % 5 == 0);
}
denials.Print();

// 3. The summary every call of this run left in the ledger.
await engine.FlushAlertsAsync();
var records = engine.Ledger.Snapshot().Where(r => r.Timestamp >= runStarted).ToList();
Console.WriteLine();
Console.WriteLine("This run's calls, by status (from the ledger):");
Console.Write(UsageSummary.ToTable(UsageSummary.Build(records, r => r.Status.ToString()), "Status"));
Console.WriteLine();
Console.WriteLine(restored.Records == 0
    ? "Budget usage now (this run):"
    : $"Budget usage now (the {restored.Records} restored earlier call(s) plus this run):");
foreach (var usage in await engine.GetUsageAsync(policy))
{
    Console.WriteLine($"  {usage.Limit.Window.Describe(),-8} {usage.Limit.Dimension.Describe(),-8} {usage.Limit.Dimension.Format(usage.Used),10} of {usage.Limit.Dimension.Format(usage.Limit.Amount),-10} ({usage.Percent,5:0.0}%)");
}
Console.WriteLine($"Circuit breaker: {engine.Breakers.Get(policy.Name).State}");
return 0;

async Task Call(int number, string question, bool stream)
{
    var label = number == 0 ? "#-" : $"#{number}";
    try
    {
        string answer;
        if (stream)
        {
            var text = new System.Text.StringBuilder();
            await foreach (var update in client.GetStreamingResponseAsync(question)) text.Append(update.Text);
            answer = text.ToString();
        }
        else
        {
            answer = (await client.GetResponseAsync(question)).Text;
        }
        var record = engine.Ledger.Snapshot()[^1];
        denials.Print();
        Console.WriteLine($"  {label,-3} ok{(stream ? " (streamed)" : "")}: {record.InputTokens} in / {record.OutputTokens} out tokens, ${record.CostUsd:0.000000} (reserved ${record.ReservedCostUsd:0.000000}) — \"{Shorten(answer)}\"");
    }
    catch (BudgetExceededException denied)
    {
        denials.Add(label, denied);   // identical denials in a row are printed once, with a count
    }
    // Alerts are delivered off the call path; wait for them here only so the demo prints them after their call.
    await engine.FlushAlertsAsync();
    if (alerts.HasPending) denials.Print();
    alerts.PrintPending();
}

static string Shorten(string text) => text.Length <= 48 ? text : text[..48] + "…";
