using System.Globalization;
using GuardedAI.Simulation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.ML.Tokenizers;

namespace GuardedAI.Generator.Tests.Runtime;

/// <summary>
/// The clients the real compiler generated for the interfaces in <c>Bots.cs</c>, run against a fake inner client:
/// every path reserves, calls and reconciles through the runtime's engine.
/// </summary>
public sealed class GeneratedClientTests : IAsyncLifetime
{
    private readonly FakeChatClient _inner = new();
    private readonly BudgetEngine _engine = new(new BudgetEngineOptions
    {
        // Mid-day on a fixed date: the daily window cannot roll over during a test.
        TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero)),
        LogAlerts = false,
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task AGeneratedClientInShadowModeLetsEveryCallThroughAndRecordsWhatItWouldHaveDenied()
    {
        IShadowModeBot bot = IShadowModeBot.Create(_inner, _engine);

        for (int i = 0; i < 3; i++) Assert.Equal("Fine, thanks.", await bot.PingAsync());

        Assert.Equal(3, _inner.Calls.Count);
        var records = _engine.Ledger.Snapshot();
        Assert.All(records, r => Assert.Equal(UsageStatus.Success, r.Status));
        Assert.Equal(new string?[] { null, "shadow-mode", "shadow-mode" }, records.Select(r => r.WouldBeDeniedBy));
    }

    [Fact]
    public async Task FourthCallUnderDailyRequestsThreeIsDenied()
    {
        IThreeADay bot = IThreeADay.Create(_inner, _engine);

        for (int i = 0; i < 3; i++) Assert.Equal("Fine, thanks.", await bot.SayAsync("hi"));
        BudgetExceededException denied = await Assert.ThrowsAsync<BudgetExceededException>(() => bot.SayAsync("hi"));

        Assert.Equal(3, _inner.Calls.Count);
        Assert.Equal("three-a-day", denied.Scope);
        // The third request used 100% of the daily limit, so the breaker (trip at 95%) or the limit itself denies;
        // either way the retry is at the next UTC midnight, 12 hours after the fake clock's noon.
        Assert.Contains(denied.Kind, new[] { DenialKind.WindowLimit, DenialKind.BreakerOpen });
        Assert.Equal(TimeSpan.FromHours(12), denied.RetryAfter);
        Assert.Equal(new[] { UsageStatus.Success, UsageStatus.Success, UsageStatus.Success, UsageStatus.Denied },
            _engine.Ledger.Snapshot().Select(r => r.Status));
    }

    [Fact]
    public async Task TypedStreamingAndRawCallsShareOneBudget()
    {
        IThreeADay bot = IThreeADay.Create(_inner, _engine);

        await bot.SayAsync("one");
        await foreach (string _ in bot.SpellAsync("two"))
        {
        }

        ChatResponse raw = await bot.GetResponseAsync("three");
        Assert.Equal("Fine, thanks.", raw.Text);

        // The fourth request is denied whichever path it takes, before it reaches the provider.
        await Assert.ThrowsAsync<BudgetExceededException>(() => bot.GetResponseAsync("four"));
        await Assert.ThrowsAsync<BudgetExceededException>(async () =>
        {
            await foreach (ChatResponseUpdate _ in bot.GetStreamingResponseAsync("five"))
            {
            }
        });
        await Assert.ThrowsAsync<BudgetExceededException>(async () =>
        {
            await foreach (string _ in bot.SpellAsync("six"))
            {
            }
        });

        Assert.Equal(new[] { false, true, false }, _inner.Calls.Select(c => c.Streaming));
        Assert.All(_engine.Ledger.Snapshot(), r => Assert.Equal("three-a-day", r.Budget));
    }

    [Fact]
    public async Task ReservedInputTokensEqualTheTokenizersCount()
    {
        ISupportBot bot = ISupportBot.Create(_inner, _engine);
        // Vocabularies load in the background; until then a count is an upper bound, not the exact count compared here.
        await TokenCounterRegistry.LoadAsync();

        await bot.AnswerAsync("Where is my order #4711? It was due on Monday.");

        // OpenAI's chat format: 3 tokens per message + the role + the text, and 3 to prime the reply.
        Tokenizer tokenizer = TiktokenTokenizer.CreateForModel("gpt-4o-mini");
        int expected = _inner.Calls.Single().Messages.Sum(m => 3 + tokenizer.CountTokens(m.Role.Value) + tokenizer.CountTokens(m.Text)) + 3;
        UsageRecord record = _engine.Ledger.Snapshot().Single();
        Assert.Equal(expected, record.ReservedInputTokens);
        Assert.Equal("gpt-4o-mini", record.Model);

        // The output cap of the budget bounds the reservation and is sent to the provider.
        Assert.Equal(800, record.ReservedOutputTokens);
        Assert.Equal(800, _inner.Calls.Single().Options?.MaxOutputTokens);
    }

    [Fact]
    public async Task TypedPromptIsExactlyTheTemplateWithItsArguments()
    {
        CultureInfo original = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            IWriter writer = IWriter.Create(_inner, _engine);
            await writer.WriteAsync("Ünïcode \"quoted\" {x}", 1234, new DateTime(2026, 3, 1, 9, 30, 0), 1234.5m, note: null);
        }
        finally
        {
            CultureInfo.CurrentCulture = original;
        }

        IReadOnlyList<ChatMessage> messages = _inner.Calls.Single().Messages;
        Assert.Equal(new[] { ChatRole.System, ChatRole.User }, messages.Select(m => m.Role));
        Assert.Equal("Be brief.\nNo lists.", messages[0].Text);
        // Invariant culture (1234.5, not 1234,5), escaped quotes and braces kept, \\n in the template is a backslash and n.
        Assert.Equal("Write \"Ünïcode \"quoted\" {x}\" (1234 words, {draft}) due 03/01/2026 09:30:00, budget 1234.5\\n", messages[1].Text);
    }

    [Fact]
    public async Task SystemMessageIsATemplateToo()
    {
        IWriter writer = IWriter.Create(_inner, _engine);

        await writer.ReplyAsync("a pirate", "hello");

        Assert.Equal(new[] { "You are a pirate. Answer in {JSON}.", "Reply to: hello" }, _inner.Calls.Single().Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task AMethodWithoutSystemSendsOnlyTheUserMessage()
    {
        IThreeADay bot = IThreeADay.Create(_inner, _engine);

        await bot.SayAsync("cheese");

        ChatMessage message = Assert.Single(_inner.Calls.Single().Messages);
        Assert.Equal(ChatRole.User, message.Role);
        Assert.Equal("Say cheese", message.Text);
    }

    [Fact]
    public async Task StructuredOutputDeserializesTheJsonAnswer()
    {
        ISupportBot bot = ISupportBot.Create(_inner, _engine);
        _inner.Reply = """{"category":"Shipping","priority":2}""";

        TicketInfo info = await bot.TriageAsync("My parcel is late");

        Assert.Equal(new TicketInfo(TicketCategory.Shipping, 2), info);
        Assert.IsType<ChatResponseFormatJson>(_inner.Calls.Single().Options?.ResponseFormat);
        Assert.Equal(UsageStatus.Success, _engine.Ledger.Snapshot().Single().Status);
    }

    [Fact]
    public async Task StructuredOutputOfAnEnumWorksWithTheSimulatedClient()
    {
        var simulated = new SimulatedChatClient("gpt-4o-mini");
        ISupportBot bot = ISupportBot.Create(simulated, _engine);

        TicketCategory category = await bot.ClassifyAsync("I was charged twice");

        Assert.True(Enum.IsDefined(category));
        Assert.Equal(1, simulated.RequestCount);
        Assert.Equal("Classify this ticket: I was charged twice", simulated.LastMessages.Single().Text);
    }

    [Fact]
    public async Task StreamingYieldsTheTextChunksAndRecordsTheUsage()
    {
        ISupportBot bot = ISupportBot.Create(_inner, _engine);

        var chunks = new List<string>();
        await foreach (string chunk in bot.DraftAsync("faster builds")) chunks.Add(chunk);

        Assert.Equal(new[] { "Release", " notes", ": ", "faster." }, chunks);
        Assert.True(_inner.Calls.Single().Streaming);
        UsageRecord record = _engine.Ledger.Snapshot().Single();
        Assert.Equal((20L, 5L, UsageStatus.Success), (record.InputTokens, record.OutputTokens, record.Status));
    }

    [Fact]
    public async Task CancellationTokenFlowsToTheInnerClient()
    {
        ISupportBot bot = ISupportBot.Create(_inner, _engine);
        using var cts = new CancellationTokenSource();

        await bot.AnswerAsync("hello", cts.Token);
        CancellationToken seen = _inner.Calls.Single().CancellationToken;
        Assert.False(seen.IsCancellationRequested);
        cts.Cancel();
        Assert.True(seen.IsCancellationRequested);
    }

    [Fact]
    public async Task StreamingHonoursWithCancellation()
    {
        ISupportBot bot = ISupportBot.Create(_inner, _engine);
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (string _ in bot.DraftAsync("x").WithCancellation(cts.Token))
            {
                cts.Cancel();
            }
        });

        Assert.True(_inner.Calls.Single().CancellationToken.IsCancellationRequested);
        Assert.Equal(UsageStatus.Cancelled, _engine.Ledger.Snapshot().Single().Status);
    }

    [Fact]
    public async Task ChatOptionsParameterFlowsToTheInnerClient()
    {
        IWriter writer = IWriter.Create(_inner, _engine);

        await writer.WriteAsync("t", 1, DateTime.UnixEpoch, 1m, "n", new ChatOptions { Temperature = 0.25f, MaxOutputTokens = 50 });

        ChatOptions? options = _inner.Calls.Single().Options;
        Assert.Equal(0.25f, options?.Temperature);
        Assert.Equal(50, options?.MaxOutputTokens);
    }

    [Fact]
    public void PolicyIsTheAttributesCompileTimeValues()
    {
        var bot = Assert.IsType<GuardedSupportBot>(ISupportBot.Create(_inner, _engine));

        BudgetPolicy policy = bot.Policy;
        Assert.Equal(("support-bot", "gpt-4o-mini", BudgetTier.Free), (policy.Name, policy.Model, policy.Tier));
        Assert.Equal(0.5m, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Day));
        Assert.Equal(800, policy.MaxOutputTokens);
        // The tier's other limits are kept: explicit values override, they do not replace the tier.
        Assert.Equal(50m, policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Day));
        Assert.Same(policy, _engine.GetPolicy("support-bot"));
        Assert.IsAssignableFrom<DelegatingChatClient>(bot);
    }

    [Fact]
    public void AFunctionInvokingClientBeneathTheGuardIsRefused()
    {
        using var functions = new FunctionInvokingChatClient(_inner);

        Assert.Throws<InvalidOperationException>(() => ISupportBot.Create(functions, _engine));
    }

    [Fact]
    public async Task InheritedPromptsAreImplementedAndCountAgainstTheChildsBudget()
    {
        IChildBot child = IChildBot.Create(_inner, _engine);
        ICanGreet greeter = child;
        IParentBot parent = child;

        Assert.Equal("Fine, thanks.", await greeter.GreetAsync("Ada"));
        await parent.StoryAsync("dragons");
        await Assert.ThrowsAsync<BudgetExceededException>(() => child.AskAsync("more?"));

        Assert.Equal(new[] { "Greet Ada", "Tell a story about dragons" }, _inner.Calls.Select(c => c.Messages.Single().Text));
        Assert.All(_engine.Ledger.Snapshot(), r => Assert.Equal("child-bot", r.Budget));
        Assert.IsType<GuardedParentBot>(IParentBot.Create(_inner, _engine));
    }

    [Fact]
    public async Task GlobalNamespaceAndNestedInterfacesWork()
    {
        IGlobalBot global = IGlobalBot.Create(_inner, _engine);
        Holder.INestedBot nested = Holder.INestedBot.Create(_inner, _engine);

        await global.PingAsync(1_000_000);
        await nested.RunAsync("y");

        Assert.Equal(new[] { "Ping 1000000", "Nested y" }, _inner.Calls.Select(c => c.Messages.Single().Text));
        Assert.IsType<GuardedGlobalBot>(global);
        Assert.IsType<Holder.GuardedNestedBot>(nested);
    }

    [Fact]
    public async Task DependencyInjectionRegistersASingletonOverTheContainersEngine()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_engine);
        services.AddSupportBot(_ => _inner);
        await using ServiceProvider provider = services.BuildServiceProvider();

        ISupportBot bot = provider.GetRequiredService<ISupportBot>();
        Assert.Same(bot, provider.GetRequiredService<ISupportBot>());
        Assert.Same(_engine, Assert.IsType<GuardedSupportBot>(bot).Engine);

        await bot.AnswerAsync("hi");
        Assert.Single(_inner.Calls);
    }

    [Fact]
    public async Task DependencyInjectionAddsADefaultEngineWhenNoneIsRegistered()
    {
        var services = new ServiceCollection();
        services.AddThreeADay(_ => new FakeChatClient());
        services.AddChildBot(_ => new FakeChatClient());
        await using ServiceProvider provider = services.BuildServiceProvider();

        BudgetEngine engine = provider.GetRequiredService<BudgetEngine>();
        Assert.Same(engine, ((BudgetChatClient)provider.GetRequiredService<IThreeADay>()).Engine);
        Assert.Same(engine, ((BudgetChatClient)provider.GetRequiredService<IChildBot>()).Engine);
        Assert.Single(services, d => d.ServiceType == typeof(BudgetEngine));
    }
}
