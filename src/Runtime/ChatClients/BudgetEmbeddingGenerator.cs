using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Puts text embedding requests under a budget: the inputs are counted with the model's tokenizer and reserved
/// as input tokens (embeddings have no output tokens), then settled with the usage the provider reports, or with
/// the count when it reports none. Tenant and tags come from <see cref="EmbeddingGenerationOptions.AdditionalProperties"/>
/// with the same keys as <see cref="BudgetChatClient"/>, or from an ambient <see cref="BudgetScope"/>.
/// </summary>
/// <typeparam name="TEmbedding">The embedding type.</typeparam>
public class BudgetEmbeddingGenerator<TEmbedding> : DelegatingEmbeddingGenerator<string, TEmbedding>
    where TEmbedding : Embedding
{
    private readonly string? _defaultModel;
    private readonly ITokenCounter _counter;
    private readonly CallContexts _contexts;

    /// <summary>Creates the guard.</summary>
    public BudgetEmbeddingGenerator(IEmbeddingGenerator<string, TEmbedding> innerGenerator, BudgetEngine engine, BudgetPolicy policy)
        : base(innerGenerator)
    {
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        Policy = policy ?? throw new ArgumentNullException(nameof(policy));
        var metadata = innerGenerator.GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata;
        _contexts = new CallContexts(metadata?.ProviderName);
        _defaultModel = policy.Model ?? metadata?.DefaultModelId;
        _counter = engine.Parts.Tokenizers.ForModel(_defaultModel);
        Engine.AddPolicy(policy);
    }

    /// <summary>The engine.</summary>
    public BudgetEngine Engine { get; }

    /// <summary>The budget.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>A tenant applied to every call of this generator that names none (in options or an ambient <see cref="BudgetScope"/>).</summary>
    public string? Tenant { get; set; }

    /// <summary>Tags added to every call's usage record.</summary>
    public IDictionary<string, string> Tags { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override async Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values as IReadOnlyList<string> ?? values.ToList();
        var model = options?.ModelId ?? _defaultModel;
        var counter = string.Equals(model, _defaultModel, StringComparison.Ordinal) ? _counter : Engine.Parts.Tokenizers.ForModel(model);

        // Embedding requests carry no chat overhead: each input is billed as its own tokens.
        var cap = Policy.MaxInputTokens ?? int.MaxValue;
        long input = 0;
        foreach (var text in inputs)
        {
            input += counter.CountText(text, (int)Math.Max(0, Math.Min(int.MaxValue, cap - input)));
            if (input > cap) break;
        }
        var estimate = Engine.Estimate(model, input, 0);

        var (tenant, tags, remaining) = GuardCallContext.Read(options?.AdditionalProperties, Tenant, Tags);
        var forwarded = options;
        if (!ReferenceEquals(remaining, options?.AdditionalProperties)) forwarded = ForwardedOptions.With(options!, remaining);
        var context = _contexts.For(tenant, tags, conversationId: null, degradedFrom: null);

        var held = await GuardedCall.AcquireAsync(Engine, Policy, estimate, null, context, cancellationToken).ConfigureAwait(false);
        held.Operation = "embeddings";
        return await GuardedCall.RunAsync(held, (Generator: this, Inputs: inputs, Options: forwarded),
            static (s, ct) => s.Generator.InnerGenerator.GenerateAsync(s.Inputs, s.Options, ct),
            input,
            static (counted, _, result) => result.Usage is { InputTokenCount: not null } or { TotalTokenCount: not null }
                ? new CallUsage(new TokenUsage(result.Usage.InputTokenCount ?? result.Usage.TotalTokenCount ?? counted, 0), true)
                : new CallUsage(new TokenUsage(counted, 0), false),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(BudgetEngine) ? Engine
        : serviceKey is null && serviceType == typeof(BudgetPolicy) ? Policy
        : base.GetService(serviceType, serviceKey);
}
