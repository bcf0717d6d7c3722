using Microsoft.ML.Tokenizers;

namespace GuardedAI.Tests;

public class BudgetChatClientTests
{
    private static BudgetPolicy Policy(int maxOutput = 200) => BudgetPolicy.Create("bot").ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 100_000).WithMaxOutputTokens(maxOutput).Build();

    [Fact]
    public async Task The_guard_fills_MaxOutputTokens_with_the_cap_and_reserves_the_real_token_count()
    {
        var (engine, _, _) = TestEngine.Create();
        var fake = new FakeChatClient { Respond = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, "hi")) { Usage = new() { InputTokenCount = 20, OutputTokenCount = 2 } } };
        var client = new BudgetChatClient(fake, engine, Policy(maxOutput: 321));

        await client.GetResponseAsync([new(ChatRole.System, "Be brief."), new(ChatRole.User, "Where is my order?")]);

        Assert.Equal(321, fake.LastOptions!.MaxOutputTokens);
        var record = Assert.Single(engine.Ledger.Snapshot());
        var tok = TiktokenTokenizer.CreateForModel("gpt-4o-mini");
        Assert.Equal(3 + (3 + tok.CountTokens("system") + tok.CountTokens("Be brief.")) + (3 + tok.CountTokens("user") + tok.CountTokens("Where is my order?")), record.ReservedInputTokens);
        Assert.Equal(321, record.ReservedOutputTokens);
        Assert.Equal(20, record.InputTokens);
        Assert.Equal(2, record.OutputTokens);
        Assert.True(record.UsageReported);
        Assert.Equal(22m, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public async Task A_larger_MaxOutputTokens_from_the_caller_is_clamped_to_the_cap()
    {
        var (engine, _, _) = TestEngine.Create();
        var fake = new FakeChatClient();
        var client = new BudgetChatClient(fake, engine, Policy(maxOutput: 100));

        await client.GetResponseAsync("hi", new ChatOptions { MaxOutputTokens = 5_000 });
        Assert.Equal(100, fake.LastOptions!.MaxOutputTokens);
        await client.GetResponseAsync("hi", new ChatOptions { MaxOutputTokens = 40 });
        Assert.Equal(40, fake.LastOptions!.MaxOutputTokens);
    }

    [Fact]
    public async Task The_callers_options_are_never_changed_and_are_passed_down_as_they_are_when_the_guard_has_nothing_to_change()
    {
        var (engine, _, _) = TestEngine.Create();
        var fake = new FakeChatClient();
        var client = new BudgetChatClient(fake, engine, Policy(maxOutput: 100));

        // Already capped, no key of the guard's: nothing to change, so nothing is copied.
        var capped = new ChatOptions { MaxOutputTokens = 40, Temperature = 0.2f, AdditionalProperties = new() { ["seed"] = 7 } };
        await client.GetResponseAsync("hi", capped);
        Assert.Same(capped, fake.LastOptions);
        Assert.Equal(40, capped.MaxOutputTokens);

        // Uncapped, or carrying the guard's tenant key: the provider gets a copy with the cap and without the key; the
        // caller's object keeps what the caller put in it.
        var uncapped = new ChatOptions { Temperature = 0.2f };
        await client.GetResponseAsync("hi", uncapped);
        Assert.NotSame(uncapped, fake.LastOptions);
        Assert.Equal((100, 0.2f), (fake.LastOptions!.MaxOutputTokens, fake.LastOptions.Temperature));
        Assert.Null(uncapped.MaxOutputTokens);

        var tenanted = new ChatOptions { MaxOutputTokens = 40, AdditionalProperties = new() { [BudgetChatClient.TenantKey] = "acme", ["seed"] = 7 } };
        await client.GetResponseAsync("hi", tenanted);
        Assert.NotSame(tenanted, fake.LastOptions);
        Assert.False(fake.LastOptions!.AdditionalProperties!.ContainsKey(BudgetChatClient.TenantKey));
        Assert.Equal(7, fake.LastOptions.AdditionalProperties["seed"]);
        Assert.Equal("acme", tenanted.AdditionalProperties![BudgetChatClient.TenantKey]);
        Assert.Equal("acme", engine.Ledger.Snapshot().Last().Tenant);

        // Nothing but the guard's keys: the provider's copy has no additional properties at all; the caller's keeps them.
        var onlyOurs = new ChatOptions { MaxOutputTokens = 40, AdditionalProperties = new() { [BudgetChatClient.TenantKey] = "globex", [BudgetChatClient.CategoryKey] = "search" } };
        await client.GetResponseAsync("hi", onlyOurs);
        Assert.NotSame(onlyOurs, fake.LastOptions);
        Assert.Null(fake.LastOptions!.AdditionalProperties);
        Assert.Equal(2, onlyOurs.AdditionalProperties!.Count);
        Assert.Equal(("globex", "search"), (engine.Ledger.Snapshot().Last().Tenant, engine.Ledger.Snapshot().Last().Tags["category"]));
    }

    [Fact]
    public async Task Without_reported_usage_the_response_text_is_counted()
    {
        var (engine, _, _) = TestEngine.Create();
        var fake = new FakeChatClient { Respond = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Your order ships tomorrow morning.")) };
        var client = new BudgetChatClient(fake, engine, Policy());

        await client.GetResponseAsync("Where is my order?");

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.False(record.UsageReported);
        Assert.Equal(TiktokenTokenizer.CreateForModel("gpt-4o-mini").CountTokens("Your order ships tomorrow morning."), record.OutputTokens);
        Assert.Equal(record.ReservedInputTokens, record.InputTokens);
    }

    [Fact]
    public async Task A_stream_abandoned_half_way_commits_the_tokens_it_consumed()
    {
        var (engine, _, _) = TestEngine.Create();
        var words = Enumerable.Range(0, 40).Select(i => $" word{i}").ToArray();
        var fake = new FakeChatClient { Stream = (_, _) => words.Select(w => new ChatResponseUpdate(ChatRole.Assistant, w)) };
        var client = new BudgetChatClient(fake, engine, Policy());

        var received = new List<string>();
        await foreach (var update in client.GetStreamingResponseAsync("Tell me a story"))
        {
            received.Add(update.Text);
            if (received.Count == 10) break; // the caller walks away
        }

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Cancelled, record.Status);
        var consumed = TiktokenTokenizer.CreateForModel("gpt-4o-mini").CountTokens(string.Concat(received));
        Assert.Equal(consumed, record.OutputTokens);
        Assert.True(record.OutputTokens > 0);
        Assert.Equal(record.ReservedInputTokens, record.InputTokens);
        Assert.Equal(record.InputTokens + record.OutputTokens, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public async Task A_stream_that_fails_half_way_counts_what_was_streamed_and_a_failure()
    {
        var (engine, _, _) = TestEngine.Create();
        var fake = new FakeChatClient
        {
            Stream = (_, _) => new[] { " partial", " answer" }.Select(w => new ChatResponseUpdate(ChatRole.Assistant, w)),
            Throw = new HttpRequestException("connection reset"),
        };
        var client = new BudgetChatClient(fake, engine, Policy());

        await Assert.ThrowsAsync<HttpRequestException>(async () => { await foreach (var _ in client.GetStreamingResponseAsync("hi")) { } });

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Failed, record.Status);
        Assert.Equal(TiktokenTokenizer.CreateForModel("gpt-4o-mini").CountTokens(" partial answer"), record.OutputTokens);
        Assert.Equal(1, engine.Breakers.Get("bot").ConsecutiveFailures);
    }

    [Fact]
    public async Task Streaming_usage_reported_by_the_provider_wins_over_counting()
    {
        var (engine, _, _) = TestEngine.Create();
        var fake = new FakeChatClient
        {
            Stream = (_, _) => [new ChatResponseUpdate(ChatRole.Assistant, "Hello"), new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 42, OutputTokenCount = 7, CachedInputTokenCount = 40 })] }],
        };
        var client = new BudgetChatClient(fake, engine, Policy());

        await foreach (var _ in client.GetStreamingResponseAsync("hi")) { }

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal((42, 7, 40L), (record.InputTokens, record.OutputTokens, record.CachedInputTokens));
        Assert.Equal((2 * 0.15m + 40 * 0.075m + 7 * 0.6m) / 1_000_000m, record.CostUsd);
    }

    [Fact]
    public async Task A_provider_failure_releases_the_reservation_but_counts_the_request()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("fails").ForModel("gpt-4o-mini")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 10_000).WithMaxOutputTokens(500).Build();
        var client = new BudgetChatClient(new FakeChatClient { Throw = new HttpRequestException("503") }, engine, policy);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi"));

        var usage = await engine.GetUsageAsync(policy);
        Assert.Equal(1m, usage.Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
        Assert.Equal(0m, usage.Single(u => u.Limit.Dimension == BudgetDimension.TotalTokens).Used);
        Assert.Equal(UsageStatus.Failed, Assert.Single(engine.Ledger.Snapshot()).Status);
    }

    [Fact]
    public async Task Cancellation_releases_the_reservation_and_counts_the_prompt()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new FakeChatClient(), engine, Policy());
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hi", cancellationToken: cts.Token));

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Cancelled, record.Status);
        Assert.Equal(record.ReservedInputTokens, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public void A_function_invoking_client_beneath_the_guard_is_refused_with_directions()
    {
        var engine = new BudgetEngine();
        // The first Use is the outermost: here the guard would wrap the tool loop.
        var wrong = new ChatClientBuilder(new FakeChatClient()).UseBudget(engine, Policy()).UseFunctionInvocation();

        var error = Assert.Throws<InvalidOperationException>(() => wrong.Build());
        var right = new ChatClientBuilder(new FakeChatClient()).UseFunctionInvocation().UseBudget(engine, Policy()).Build();

        Assert.Contains("UseFunctionInvocation().UseBudget(", error.Message);
        Assert.NotNull(right.GetService<FunctionInvokingChatClient>());
    }

    [Fact]
    public async Task Each_provider_request_of_a_tool_loop_is_reserved_on_its_own()
    {
        var (engine, _, _) = TestEngine.Create();
        var calls = 0;
        var fake = new FakeChatClient
        {
            Respond = (_, _) => ++calls == 1
                ? new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "GetTime")]))
                : new ChatResponse(new ChatMessage(ChatRole.Assistant, "It is noon.")),
        };
        var client = new ChatClientBuilder(fake).UseFunctionInvocation().UseBudget(engine, Policy()).Build();

        await client.GetResponseAsync("What time is it?", new ChatOptions { Tools = [AIFunctionFactory.Create(() => "12:00", "GetTime")] });

        Assert.Equal(2, engine.Ledger.Snapshot().Count(r => r.Status == UsageStatus.Success));
    }

    [Fact]
    public async Task Tenant_and_tags_come_from_options_and_the_tenant_budget_must_allow_the_call_too()
    {
        var (engine, _, _) = TestEngine.Create();
        engine.SetTenantPolicy("acme", BudgetPolicy.Create("acme").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 2).Build());
        var fake = new FakeChatClient();
        var client = new BudgetChatClient(fake, engine, Policy());
        ChatOptions Options() => new() { AdditionalProperties = new() { [BudgetChatClient.TenantKey] = "acme", [BudgetChatClient.CategoryKey] = "billing", ["other"] = 1 } };

        await client.GetResponseAsync("one", Options());
        await client.GetResponseAsync("two", Options());
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("three", Options()));
        await client.GetResponseAsync("no tenant");

        Assert.Equal("tenant:acme", denied.Scope);
        Assert.False(fake.LastOptions!.AdditionalProperties?.ContainsKey(BudgetChatClient.TenantKey) ?? false);
        var records = engine.Ledger.Snapshot();
        Assert.Equal(3, records.Count(r => r.Tenant == "acme"));
        Assert.All(records.Where(r => r.Tenant == "acme"), r => Assert.Equal("billing", r.Tags["category"]));
    }

    [Fact]
    public async Task An_ambient_scope_supplies_the_tenant()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new FakeChatClient(), engine, Policy());

        using (BudgetScope.Begin("globex", new Dictionary<string, string> { ["feature"] = "search" }))
        {
            await client.GetResponseAsync("hi");
        }
        await client.GetResponseAsync("hi");

        var records = engine.Ledger.Snapshot();
        Assert.Equal("globex", records[0].Tenant);
        Assert.Equal("search", records[0].Tags["feature"]);
        Assert.Null(records[1].Tenant);
    }
}
