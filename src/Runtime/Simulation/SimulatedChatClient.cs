using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace GuardedAI.Simulation;

/// <summary>
/// A provider stand-in for samples and tests: no keys, no network. Answers are deterministic (derived from the
/// prompt), usage is realistic (counted with the model's real tokenizer, chat overhead included, output capped
/// by <see cref="ChatOptions.MaxOutputTokens"/>), streaming ends with a <see cref="UsageContent"/> as OpenAI's
/// does, and a JSON response format gets JSON that fits its schema.
/// </summary>
public sealed class SimulatedChatClient : IChatClient
{
    private static readonly string[] s_words =
    [
        "budget", "tokens", "request", "answer", "customer", "order", "shipping", "refund", "account", "invoice",
        "the", "a", "your", "we", "will", "can", "is", "and", "to", "of", "within", "today", "please", "thanks",
        "update", "status", "support", "ticket", "team", "details", "check", "soon", "help", "issue", "resolved",
    ];

    private readonly ITokenCounter _counter;
    private readonly ChatClientMetadata _metadata;
    private int _failuresLeft;

    /// <summary>Creates the client.</summary>
    /// <param name="modelId">The model it pretends to be (decides the tokenizer used for usage).</param>
    /// <param name="responseWords">Words in a typical answer, before the output cap (default 60).</param>
    public SimulatedChatClient(string modelId = "gpt-4o-mini", int responseWords = 60)
    {
        ModelId = modelId;
        ResponseWords = responseWords;
        _counter = new TokenCounterRegistry().ForModel(modelId);
        _metadata = new ChatClientMetadata("simulated", new Uri("http://127.0.0.1/simulated"), modelId);
    }

    /// <summary>The model id it reports.</summary>
    public string ModelId { get; }

    /// <summary>Words in a typical answer.</summary>
    public int ResponseWords { get; set; }

    /// <summary>Whether responses carry usage (false simulates a provider that reports none).</summary>
    public bool ReportUsage { get; set; } = true;

    /// <summary>Requests received.</summary>
    public int RequestCount => Volatile.Read(ref _requests);
    private int _requests;

    /// <summary>The messages of the last request.</summary>
    public IReadOnlyList<ChatMessage> LastMessages { get; private set; } = [];

    /// <summary>The options of the last request.</summary>
    public ChatOptions? LastOptions { get; private set; }

    /// <summary>
    /// How many tool results an answer waits for: while tools are offered and the conversation holds fewer results than
    /// this, the client asks for the first offered function again (an agent researching). <see cref="int.MaxValue"/>
    /// simulates an agent whose tool loop never converges; 0 (the default) never calls a tool.
    /// </summary>
    public int ToolCallsPerAnswer { get; set; }

    /// <summary>Makes the next <paramref name="count"/> requests fail like a provider outage (HTTP 503).</summary>
    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (ToolCall(messages, options) is { } call) return Task.FromResult(call);
        var (text, usage) = Answer(messages, options);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = options?.ModelId ?? ModelId,
            FinishReason = ChatFinishReason.Stop,
            Usage = ReportUsage ? usage : null,
        };
        return Task.FromResult(response);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (text, usage) = Answer(messages, options);
        var pieces = text.Split(' ');
        for (var i = 0; i < pieces.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? pieces[i] : " " + pieces[i]) { ModelId = options?.ModelId ?? ModelId };
        }
        if (ReportUsage) yield return new ChatResponseUpdate { Role = ChatRole.Assistant, Contents = [new UsageContent(usage)], FinishReason = ChatFinishReason.Stop };
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null : serviceType == typeof(ChatClientMetadata) ? _metadata : serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc/>
    public void Dispose() { }

    /// <summary>A request for the first offered function, while the answer still waits for tool results.</summary>
    private ChatResponse? ToolCall(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (ToolCallsPerAnswer <= 0 || options?.Tools?.OfType<AIFunctionDeclaration>().FirstOrDefault() is not { } function) return null;
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var results = list.Sum(m => m.Contents.Count(c => c is FunctionResultContent));
        if (results >= ToolCallsPerAnswer) return null;
        Interlocked.Increment(ref _requests);
        LastMessages = list.ToList();
        LastOptions = options;
        var arguments = new Dictionary<string, object?> { ["query"] = Sentence(StableHash(results.ToString(System.Globalization.CultureInfo.InvariantCulture)), 3) };
        var callId = "call_" + results.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var input = _counter.CountMessages(list);
        var output = _counter.CountText(function.Name + JsonSerializer.Serialize(arguments)) + 8;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, function.Name, arguments)]))
        {
            ModelId = options.ModelId ?? ModelId,
            FinishReason = ChatFinishReason.ToolCalls,
            Usage = ReportUsage ? new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output } : null,
        };
    }

    private (string Text, UsageDetails Usage) Answer(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var list = messages.ToList();
        Interlocked.Increment(ref _requests);
        LastMessages = list;
        LastOptions = options;
        if (Volatile.Read(ref _failuresLeft) > 0 && Interlocked.Decrement(ref _failuresLeft) >= 0)
            throw new HttpRequestException("Simulated provider outage (503 Service Unavailable).", null, System.Net.HttpStatusCode.ServiceUnavailable);

        var seed = StableHash(string.Join("\n", list.Select(m => m.Text)));
        var text = options?.ResponseFormat is ChatResponseFormatJson json
            ? JsonFor(json.Schema, seed)?.ToJsonString() ?? "null"
            : Sentence(seed, ResponseWords);

        var counter = options?.ModelId is { } model && model != ModelId ? new TokenCounterRegistry().ForModel(model) : _counter;
        var maxOutput = options?.MaxOutputTokens ?? int.MaxValue;
        var output = counter.CountText(text);
        if (output > maxOutput)
        {
            // Cut the answer at the cap, as a provider does (finish reason "length").
            var words = text.Split(' ');
            var sb = new StringBuilder();
            foreach (var word in words)
            {
                var next = sb.Length == 0 ? word : sb + " " + word;
                if (counter.CountText(next) > maxOutput) break;
                if (sb.Length > 0) sb.Append(' ');
                sb.Append(word);
            }
            text = sb.ToString();
            output = counter.CountText(text);
        }
        var input = counter.CountMessages(list);
        return (text, new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output });
    }

    private static string Sentence(uint seed, int words)
    {
        var rng = new Random((int)seed);
        var sb = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            var word = s_words[rng.Next(s_words.Length)];
            if (i == 0) word = char.ToUpperInvariant(word[0]) + word[1..];
            sb.Append(word).Append(i == words - 1 ? "." : (i + 1) % 12 == 0 ? ". " : " ");
        }
        return sb.ToString();
    }

    private static JsonNode? JsonFor(JsonElement? schema, uint seed)
    {
        if (schema is not { ValueKind: JsonValueKind.Object } s) return JsonValue.Create("ok");
        if (s.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
            return JsonNode.Parse(values[(int)(seed % (uint)values.GetArrayLength())].GetRawText());
        var type = s.TryGetProperty("type", out var t)
            ? t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()).FirstOrDefault(x => x != "null") : t.GetString()
            : s.TryGetProperty("properties", out _) ? "object" : "string";
        switch (type)
        {
            case "object":
                var obj = new JsonObject();
                if (s.TryGetProperty("properties", out var props))
                {
                    foreach (var p in props.EnumerateObject()) obj[p.Name] = JsonFor(p.Value, seed + (uint)p.Name.Length);
                }
                return obj;
            case "array":
                return new JsonArray(JsonFor(s.TryGetProperty("items", out var items) ? items : null, seed));
            case "integer":
                return JsonValue.Create((int)(seed % 100));
            case "number":
                return JsonValue.Create((seed % 1000) / 10.0);
            case "boolean":
                return JsonValue.Create(seed % 2 == 0);
            default:
                return JsonValue.Create(Sentence(seed, 6));
        }
    }

    private static uint StableHash(string text)
    {
        // FNV-1a: string.GetHashCode is randomized per process, and answers must repeat across runs.
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return hash;
    }
}
