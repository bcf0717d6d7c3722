using System.Text;
using Microsoft.Extensions.AI;

namespace GuardedAI.Benchmarks;

/// <summary>What several benchmarks share: the six-limit budget, a provider that answers at once, varied text.</summary>
internal static class Fixtures
{
    /// <summary>Six limits (requests, tokens and cost; hourly and daily) that a benchmark never exhausts.</summary>
    public static BudgetPolicy SixLimits(string name, decimal dailyCostUsd = 2_000_000_000m) => BudgetPolicy.Create(name)
        .ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, long.MaxValue / 4)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, long.MaxValue / 2)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, long.MaxValue / 4)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, long.MaxValue / 2)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Hour, Math.Min(1_000_000_000m, dailyCostUsd))
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, dailyCostUsd)
        .Build();

    /// <summary>Microsoft.ML.Tokenizers' o200k vocabulary (gpt-4o, gpt-4o-mini), the peer several classes compare with:
    /// loaded once per process, as a load reads the whole vocabulary (seconds, not measured) and <c>--quick</c> runs every
    /// class in one process.</summary>
    public static readonly Lazy<Microsoft.ML.Tokenizers.Tokenizer> MlTokenizersO200k = new(() => Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt-4o"));

    public static readonly UsageEstimate Estimate = new("gpt-4o-mini", 100, 100, 0.0001m);
    public static readonly TokenUsage Actual = new(90, 60);

    /// <summary>
    /// Deterministic varied text: English prose with names, numbers, punctuation and casing, a little code, JSON and
    /// non-Latin script — not a repeated word list, so a tokenizer cannot win by caching a few pieces.
    /// </summary>
    public static string VariedText(int bytes, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder(bytes + 64);
        while (Encoding.UTF8.GetByteCount(sb.ToString()) < bytes)
        {
            var kind = random.Next(10);
            var sentence = kind switch
            {
                < 6 => Prose(random),
                6 => $"    if (order.Total > {random.Next(1000)}.{random.Next(100):00}m) {{ return await _client.{Words[random.Next(Words.Length)].ToUpperInvariant()}Async(id_{random.Next(99999)}); }}\n",
                7 => $"{{\"id\":\"{random.NextInt64():x}\",\"qty\":{random.Next(50)},\"sku\":\"{Words[random.Next(Words.Length)]}-{random.Next(9999)}\"}} ",
                8 => NonLatin[random.Next(NonLatin.Length)] + " ",
                _ => $"Ticket #{random.Next(100000)} — {DateTime.UnixEpoch.AddDays(random.Next(20000)):yyyy-MM-dd}: {Prose(random)}",
            };
            sb.Append(sentence);
        }
        var text = sb.ToString();
        while (Encoding.UTF8.GetByteCount(text) > bytes) text = text[..^1];
        if (text.Length > 0 && char.IsHighSurrogate(text[^1])) text = text[..^1];
        return text;
    }

    private static string Prose(Random random)
    {
        var count = 6 + random.Next(14);
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var word = Words[random.Next(Words.Length)];
            if (i == 0 || random.Next(12) == 0) word = char.ToUpperInvariant(word[0]) + word[1..];
            sb.Append(word);
            sb.Append(random.Next(9) == 0 ? ", " : " ");
        }
        sb.Length--;
        sb.Append(random.Next(4) == 0 ? "? " : ". ");
        return sb.ToString();
    }

    private static readonly string[] Words =
    [
        "the", "customer", "refund", "shipping", "invoice", "delivered", "account", "please", "status", "warehouse", "we'll", "isn't",
        "Berlin", "Lisbon", "quarterly", "revenue", "forecast", "deployment", "latency", "kubernetes", "tokenizer", "budget", "approve",
        "reconcile", "discrepancy", "on-call", "escalation", "retry", "timeout", "schema", "migration", "of", "to", "and", "in", "for",
        "with", "unfortunately", "immediately", "photosynthesis", "Zürich", "naïve", "résumé", "e-mail", "2FA", "v2.3.1", "API",
    ];

    private static readonly string[] NonLatin =
    [
        "注文の配送状況を確認してください。", "Спасибо за ваше терпение, заказ отправлен.", "환불 요청이 접수되었습니다.",
        "الطلب قيد المعالجة الآن.", "请在三个工作日内回复。", "Ευχαριστούμε για την υπομονή σας.", "🙂👍 ok!",
    ];
}

/// <summary>A provider that answers at once with a fixed response and usage.</summary>
internal sealed class InstantChatClient : IChatClient
{
    private readonly ChatResponse _response = new(new ChatMessage(ChatRole.Assistant, "Your order shipped yesterday."))
    {
        Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 8, TotalTokenCount = 28 },
        ModelId = "gpt-4o-mini",
    };
    private readonly Task<ChatResponse> _task;

    public InstantChatClient() => _task = Task.FromResult(_response);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => _task;

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("bench", null, "gpt-4o-mini") : null;

    public void Dispose() { }
}

/// <summary>A ledger that keeps nothing.</summary>
internal sealed class DiscardingLedger : IUsageLedger
{
    public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        yield break;
    }
}
