namespace GuardedAI.Tests;

/// <summary>Agent runs under one budget: a tool loop that never converges is stopped at or below its run budget.</summary>
public class RunBudgetTests
{
    private static readonly AIFunction Lookup = AIFunctionFactory.Create((string query) => $"result for {query}", "lookup", "Looks something up.");

    /// <summary>A provider that asks for another tool call whenever it is offered tools, and answers when it is not.</summary>
    private static FakeChatClient EndlessToolCaller() => new()
    {
        ModelId = "gpt-4o",
        Respond = (messages, options) => options?.Tools is { Count: > 0 }
            ? new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(Guid.NewGuid().ToString("N"), "lookup", new Dictionary<string, object?> { ["query"] = "more" })]))
            {
                Usage = new UsageDetails { InputTokenCount = 400, OutputTokenCount = 300 },
            }
            : new ChatResponse(new ChatMessage(ChatRole.Assistant, "Final answer from what I found."))
            {
                Usage = new UsageDetails { InputTokenCount = 450, OutputTokenCount = 40 },
            },
    };

    private static BudgetPolicy RunPolicy(decimal runCost = 0.05m) => BudgetPolicy.Create("agent").ForModel("gpt-4o")
        .WithMaxOutputTokens(1_000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 100m)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Run, runCost).Build();

    private static IChatClient Pipeline(IChatClient provider, BudgetEngine engine, BudgetPolicy policy, Action<RunBudgetChatClient>? configure = null) =>
        new ChatClientBuilder(provider)
            .UseRunBudget(engine, policy, configure)
            .UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 10_000)
            .UseBudget(engine, policy)
            .Build();

    [Fact]
    public async Task An_endless_tool_loop_stops_within_its_run_budget_with_a_final_answer()
    {
        var (engine, _, _) = TestEngine.Create();
        var provider = EndlessToolCaller();
        var client = Pipeline(provider, engine, RunPolicy());

        var response = await client.GetResponseAsync("Research this forever.", new ChatOptions { Tools = [Lookup] });

        Assert.Equal("Final answer from what I found.", response.Text);
        Assert.Contains("per-run cost limit is $0.0500 ($0.0100 of it kept for a final answer)", (string)response.AdditionalProperties![BudgetChatClient.StopReasonKey]!);
        var records = engine.Ledger.Snapshot();
        var run = Assert.Single(records.Select(r => r.RunId).Distinct());
        Assert.NotNull(run);
        Assert.True(records.Sum(r => r.CostUsd) <= 0.05m, $"spent {records.Sum(r => r.CostUsd)}");
        // The loop ran until the budget stopped it, then one last request without tools asked for the answer.
        Assert.True(provider.Requests.Count >= 3);
        Assert.Null(provider.LastOptions!.Tools);
        Assert.Contains(provider.Requests[^1], m => m.Text.Contains("budget for this task is spent"));
        Assert.Contains(records, r => r.Status == UsageStatus.Denied && r.Reason!.Contains("per-run cost limit"));
    }

    [Fact]
    public async Task A_run_can_end_with_a_response_that_says_the_budget_stopped_it()
    {
        var (engine, _, _) = TestEngine.Create();
        var provider = EndlessToolCaller();
        var client = Pipeline(provider, engine, RunPolicy(), r => r.Ending = RunEnding.StopResponse);

        var response = await client.GetResponseAsync("Research this forever.", new ChatOptions { Tools = [Lookup] });

        Assert.Equal(RunBudgetChatClient.BudgetExhausted, response.FinishReason);
        Assert.StartsWith("The run stopped before it finished", response.Text);
        Assert.NotNull(provider.LastOptions!.Tools); // no request without tools was made
        Assert.True(engine.Ledger.Snapshot().Sum(r => r.CostUsd) <= 0.05m);
    }

    [Fact]
    public async Task A_run_that_throws_ends_with_the_denial()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = Pipeline(EndlessToolCaller(), engine, RunPolicy(), r => r.Ending = RunEnding.Throw);

        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("Go.", new ChatOptions { Tools = [Lookup] }));

        Assert.Equal(BudgetWindow.Run, denied.Window);
        Assert.Null(denied.RetryAfter); // waiting does not help a spent run
    }

    [Fact]
    public async Task Two_hundred_concurrent_runs_on_one_budget_never_exceed_a_limit()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("agents").ForModel("gpt-4o").WithMaxOutputTokens(1_000)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 3m)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Run, 0.05m).Build();
        var client = Pipeline(EndlessToolCaller(), engine, policy, r => r.Ending = RunEnding.StopResponse);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            try { await client.GetResponseAsync($"Run {i}", new ChatOptions { Tools = [Lookup] }); return "done"; }
            catch (BudgetExceededException e) when (e.Window == BudgetWindow.Day) { return "daily"; }
        })));

        var records = engine.Ledger.Snapshot();
        var spent = records.Sum(r => r.CostUsd);
        Assert.True(spent <= 3m, $"spent {spent}");
        Assert.All(records.Where(r => r.RunId is not null).GroupBy(r => r.RunId), run => Assert.True(run.Sum(r => r.CostUsd) <= 0.05m));
        Assert.Equal(spent, (await engine.GetUsageAsync(policy)).Single(u => u.Limit.Window == BudgetWindow.Day).Used);
        Assert.Contains("daily", outcomes); // the daily budget, not only the runs', was what stopped the later ones
    }

    [Fact]
    public async Task Two_hundred_concurrent_calls_in_one_conversation_never_exceed_its_limits()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("chat").ForModel("gpt-4o-mini").WithMaxOutputTokens(100)
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Conversation, 50)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Conversation, 1_000_000).Build();
        var client = new BudgetChatClient(new FakeChatClient(), engine, policy);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            try { await client.GetResponseAsync($"message {i}", new ChatOptions { ConversationId = "conv-1" }); return true; }
            catch (BudgetExceededException e) when (e.Window == BudgetWindow.Conversation) { return false; }
        })));

        Assert.Equal(50, results.Count(ok => ok));
        var usage = await engine.GetUsageAsync(policy, new ReservationContext { ConversationId = "conv-1" });
        Assert.Equal(50m, usage.Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
        var settled = engine.Ledger.Snapshot().Where(r => r.Status == UsageStatus.Success).ToList();
        Assert.Equal(settled.Sum(r => r.TotalTokens), usage.Single(u => u.Limit.Dimension == BudgetDimension.TotalTokens).Used);
        Assert.All(settled, r => Assert.Equal("conv-1", r.ConversationId));
        // Another conversation is not touched by this one's limit.
        await client.GetResponseAsync("hello", new ChatOptions { ConversationId = "conv-2" });
    }

    [Fact]
    public async Task A_conversation_limits_user_turns_through_the_run_guard()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("chat").ForModel("gpt-4o-mini").WithMaxOutputTokens(100)
            .WithLimit(BudgetDimension.Turns, BudgetWindow.Conversation, 3).Build();
        var client = Pipeline(new FakeChatClient(), engine, policy);
        using var conversation = BudgetScope.BeginConversation("support-42");

        for (var i = 0; i < 3; i++) await client.GetResponseAsync($"turn {i}");
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("turn 4"));

        Assert.Equal((BudgetDimension.Turns, BudgetWindow.Conversation, 3m), (denied.Dimension!.Value, denied.Window!.Value, denied.Used));
        var records = engine.Ledger.Snapshot();
        Assert.Equal(3, records.Count(r => r.Kind == UsageKind.Turn && r.Status == UsageStatus.Success));
        Assert.Equal(3, records.Count(r => r.Kind == UsageKind.ProviderRequest && r.Status == UsageStatus.Success));
    }

    [Fact]
    public async Task Idle_conversation_counters_are_forgotten_and_the_conversation_starts_afresh()
    {
        var (engine, clock, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("chat").ForModel("gpt-4o-mini").WithMaxOutputTokens(100).WithScopeIdleTimeout(TimeSpan.FromMinutes(30))
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Conversation, 1).Build();
        var client = new BudgetChatClient(new FakeChatClient(), engine, policy);
        var store = (InMemoryBudgetCounterStore)engine.Store;
        var options = new ChatOptions { ConversationId = "short-lived" };

        await client.GetResponseAsync("one", options);
        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("two", options));
        clock.Advance(TimeSpan.FromMinutes(20));
        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("still inside the idle time", options));
        var held = store.CounterCount;

        clock.Advance(TimeSpan.FromMinutes(32));
        await client.GetResponseAsync("afresh", options); // the sweep dropped the idle counter; a new one starts at zero

        Assert.True(store.CounterCount <= held, $"{store.CounterCount} counters after the sweep, {held} before");
    }

    [Fact]
    public async Task A_tools_own_reported_cost_counts_towards_the_run_budget()
    {
        var (engine, _, _) = TestEngine.Create();
        var paidSearch = AIFunctionFactory.Create(async (string query) =>
        {
            await BudgetScope.ReportToolCostAsync("paid-search", 0.02m);
            return $"result for {query}";
        }, "lookup", "A paid search.");
        var client = Pipeline(EndlessToolCaller(), engine, RunPolicy(), r => r.Ending = RunEnding.StopResponse);

        var response = await client.GetResponseAsync("Search until done.", new ChatOptions { Tools = [paidSearch] });

        Assert.Equal(RunBudgetChatClient.BudgetExhausted, response.FinishReason);
        var records = engine.Ledger.Snapshot();
        var tools = records.Where(r => r.Kind == UsageKind.ToolCall).ToList();
        Assert.NotEmpty(tools);
        Assert.All(tools, t => Assert.Equal(("tool:paid-search", 0.02m), (t.Model, t.CostUsd)));
        Assert.Single(records.Select(r => r.RunId).Distinct());
        // Provider requests never pass the run budget; a tool's cost, spent after the fact, may pass it by that one cost.
        var spent = records.Sum(r => r.CostUsd);
        Assert.True(spent <= 0.05m + 0.02m, $"spent {spent}");
        Assert.Equal(spent, records.Where(r => r.Status == UsageStatus.Success).Sum(r => r.CostUsd));
    }

    [Fact]
    public async Task A_tool_cost_outside_a_run_guard_is_refused_with_what_to_do()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BudgetScope.ReportToolCostAsync("search", 0.01m).AsTask());
        Assert.Contains("RecordToolCostAsync", error.Message);
    }
}

public class AgentBudgetConfigurationTests
{
    [Fact]
    public void Conversation_run_and_degradation_settings_bind_from_configuration()
    {
        var configuration = Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(new Microsoft.Extensions.Configuration.ConfigurationBuilder(), new Dictionary<string, string?>
        {
            ["GuardedAI:Budgets:agent:Model"] = "gpt-4o",
            ["GuardedAI:Budgets:agent:DailyCostUsd"] = "10",
            ["GuardedAI:Budgets:agent:RunCostUsd"] = "0.05",
            ["GuardedAI:Budgets:agent:ConversationTurns"] = "20",
            ["GuardedAI:Budgets:agent:ScopeIdleMinutes"] = "15",
            ["GuardedAI:Budgets:agent:ThrottleIntervalMs"] = "2000",
            ["GuardedAI:Budgets:agent:DowngradeModel"] = "gpt-4o-mini",
        }).Build();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddGuardedAI(configuration);

        var policy = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<BudgetEngine>(
            Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services)).GetPolicy("agent")!;

        Assert.Equal(0.05m, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Run));
        Assert.Equal(20m, policy.GetLimit(BudgetDimension.Turns, BudgetWindow.Conversation));
        Assert.Equal(TimeSpan.FromMinutes(15), policy.ScopeIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), policy.Degradation.ThrottleInterval);
        Assert.Equal("gpt-4o-mini", policy.Degradation.DowngradeModel);
    }

    [LlmBudget("attributed", Model = "gpt-4o", DailyCostUsd = 10, RunCostUsd = 0.05, ConversationRequests = 30)]
    private interface IAttributed;

    [Fact]
    public void Run_and_conversation_limits_come_from_the_attribute()
    {
        var policy = LlmBudgetAttribute.GetPolicy(typeof(IAttributed));

        Assert.Equal(0.05m, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Run));
        Assert.Equal(30m, policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Conversation));
    }
}
