using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace GuardedAI.Benchmarks;

/// <summary>
/// What <c>UseBudget</c> adds to a chat call, against a bare <see cref="DelegatingChatClient"/> over the same provider
/// that answers at once: with a prompt seen before (its counts cached), and with a new short message on every call
/// (60 bytes, as every real call has one), beside what tokenizing those 60 bytes costs on its own. The engine is the
/// default one (in-memory counters and ledger) with a six-limit budget.
/// </summary>
[MemoryDiagnoser]
public class GuardBenchmarks
{
    /// <summary>More distinct new messages than the counter's cache holds, so none is ever seen twice while cached.</summary>
    public static int NewMessages => BenchmarkScale.Pick(40_000, 50);

    private IChatClient _bare = null!;
    private IChatClient _guarded = null!;
    private LaterChatClient _later = null!;
    private IChatClient _bareLater = null!;
    private IChatClient _guardedLater = null!;
    private IChatClient _nearLimit = null!;
    private ChatOptions[] _tenantOptions = null!;
    private IChatClient _conversational = null!;
    private ChatOptions[] _conversationOptions = null!;
    private BudgetEngine _engine = null!;
    private ChatMessage[] _cached = null!;
    private ChatMessage[][] _fresh = null!;
    private string[] _freshText = null!;
    private Tokenizer _tokenizer = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        // Steady state: counts exact and cached, not the upper bound of a vocabulary still loading (it now starts loading
        // only after a process's first settled call, so nothing here would otherwise wait for it).
        TokenCounterRegistry.LoadAsync().GetAwaiter().GetResult();
        var provider = new InstantChatClient();
        _bare = new Bare(provider);
        _engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false });
        _guarded = new ChatClientBuilder(provider).UseBudget(_engine, Fixtures.SixLimits("guard")).Build();
        var near = Fixtures.SixLimits("near", dailyCostUsd: NearLimitDailyUsd);
        _nearLimit = new ChatClientBuilder(provider).UseBudget(_engine, near).Build();
        FillTo(_engine, near, NearLimitDailyUsd * 0.85m);
        // A thousand tenants, each with its own tier's limits (a daily token and cost limit) on top of the budget's six.
        var tier = BudgetPolicy.Create("tier").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, long.MaxValue / 2)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 1_000_000_000m).Build();
        _tenantOptions = Enumerable.Range(0, Tenants).Select(i =>
        {
            _engine.SetTenantPolicy("tenant-" + i, tier);
            return new ChatOptions { MaxOutputTokens = 1000, AdditionalProperties = new() { [BudgetChatClient.TenantKey] = "tenant-" + i } };
        }).ToArray();
        // The six limits and a per-conversation token limit; a thousand conversations in turn.
        var perConversation = BudgetPolicy.Create("chat").ForModel("gpt-4o-mini")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, long.MaxValue / 4)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, long.MaxValue / 2)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 2_000_000_000m)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Conversation, long.MaxValue / 8).Build();
        _conversational = new ChatClientBuilder(provider).UseBudget(_engine, perConversation).Build();
        _conversationOptions = Enumerable.Range(0, Tenants).Select(i => new ChatOptions { MaxOutputTokens = 1000, ConversationId = "conversation-" + i }).ToArray();
        _cached = [new ChatMessage(ChatRole.User, Fixtures.VariedText(60, 1))];
        _freshText = Enumerable.Range(0, NewMessages).Select(i => Fixtures.VariedText(60, 1000 + i)).ToArray();
        _fresh = _freshText.Select(t => new[] { new ChatMessage(ChatRole.User, t) }).ToArray();
        _tokenizer = Fixtures.MlTokenizersO200k.Value;
        _later = new LaterChatClient();
        _bareLater = new Bare(_later);
        _guardedLater = new ChatClientBuilder(_later).UseBudget(_engine, Fixtures.SixLimits("later")).Build();
        _guarded.GetResponseAsync(_cached).GetAwaiter().GetResult();
        _later.Call(_guardedLater, _cached).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "bare DelegatingChatClient")]
    public Task<ChatResponse> BareCall() => _bare.GetResponseAsync(_cached);

    [Benchmark(Description = "UseBudget, prompt seen before")]
    public Task<ChatResponse> GuardedCachedPrompt() => _guarded.GetResponseAsync(_cached);

    [Benchmark(Description = "UseBudget, new 60-byte message")]
    public Task<ChatResponse> GuardedNewMessage() => _guarded.GetResponseAsync(_fresh[Next()]);

    /// <summary>A budget past its warning level (85 % of its daily spend), as a busy budget is for hours: every call finds
    /// the warning already sent. The day's remaining 15 % is far more than any run spends.</summary>
    [Benchmark(Description = "UseBudget, prompt seen before, budget at 85 %")]
    public Task<ChatResponse> GuardedNearLimit() => _nearLimit.GetResponseAsync(_cached);

    /// <summary>The cached call on behalf of one of a thousand tenants in turn, each with its tier's two limits.</summary>
    [Benchmark(Description = "UseBudget, prompt seen before, one of 1,000 tenants")]
    public Task<ChatResponse> GuardedTenant() => _guarded.GetResponseAsync(_cached, _tenantOptions[NextTenant()]);

    /// <summary>The cached call in one of a thousand conversations in turn, under a budget with a per-conversation limit.</summary>
    [Benchmark(Description = "UseBudget, prompt seen before, one of 1,000 conversations")]
    public Task<ChatResponse> GuardedConversation() => _conversational.GetResponseAsync(_cached, _conversationOptions[NextTenant()]);

    /// <summary>The bare client over a provider that answers after the call has returned its task, as every real one does.</summary>
    [Benchmark(Description = "bare DelegatingChatClient, provider answers later")]
    public Task<ChatResponse> BareAnswerLater() => _later.Call(_bareLater, _cached);

    /// <summary>The cached call over that provider: the guard's asynchronous steps suspend and resume, as on a real call.</summary>
    [Benchmark(Description = "UseBudget, prompt seen before, provider answers later")]
    public Task<ChatResponse> GuardedAnswerLater() => _later.Call(_guardedLater, _cached);

    [Benchmark(Description = "tokenizing 60 bytes (Microsoft.ML.Tokenizers)")]
    public int Tokenize60Bytes() => _tokenizer.CountTokens(_freshText[Next()]);

    private const decimal NearLimitDailyUsd = 1_000_000m;

    /// <summary>Spends up to <paramref name="usd"/> of <paramref name="policy"/>'s day with calls reporting the most tokens
    /// a call may count (each $15 at gpt-4o-mini's input price).</summary>
    private static void FillTo(BudgetEngine engine, BudgetPolicy policy, decimal usd)
    {
        var spent = 0m;
        while (spent < usd)
        {
            var lease = engine.TryReserveAsync(policy, Fixtures.Estimate).AsTask().GetAwaiter().GetResult();
            if (!lease.IsAcquired) throw new InvalidOperationException($"Filling the near-limit budget was denied at ${spent:#,0}: {lease.Denial!.Reason}");
            spent += lease.CommitAsync(new TokenUsage(ReportedUsageSanitizer.MaxPlausibleTokens, 0)).AsTask().GetAwaiter().GetResult().CostUsd;
        }
    }

    private const int Tenants = 1000;
    private int _nextTenant;

    private int NextTenant() => _nextTenant = _nextTenant + 1 == Tenants ? 0 : _nextTenant + 1;

    private int Next()
    {
        var i = _next + 1;
        _next = i == NewMessages ? 0 : i;
        return _next;
    }

    private sealed class Bare(IChatClient inner) : DelegatingChatClient(inner);

    /// <summary>
    /// A provider that answers after the call: its task is pending when the client gets it and is completed by
    /// <see cref="Call"/> on the same thread, so the continuations run there and then (no thread-pool hop to time).
    /// Both sides pay for its pending task alike.
    /// </summary>
    private sealed class LaterChatClient : IChatClient
    {
        private readonly InstantChatClient _instant = new();
        private readonly ChatResponse _response;
        private TaskCompletionSource<ChatResponse>? _pending;

        public LaterChatClient() => _response = _instant.GetResponseAsync([]).Result;

        public Task<ChatResponse> Call(IChatClient client, ChatMessage[] messages)
        {
            var call = client.GetResponseAsync(messages);
            var pending = _pending ?? throw new InvalidOperationException("The client did not call the provider.");
            _pending = null;
            pending.SetResult(_response);
            return call;
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            (_pending = new TaskCompletionSource<ChatResponse>()).Task;

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => _instant.GetService(serviceType, serviceKey);

        public void Dispose() { }
    }
}
