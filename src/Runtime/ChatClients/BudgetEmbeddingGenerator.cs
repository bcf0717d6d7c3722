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
    private readonly string? _provider;

    /// <summary>Creates the guard.</summary>
    public BudgetEmbeddingGenerator(IEmbeddingGenerator<string, TEmbedding> innerGenerator, BudgetEngine engine, BudgetPolicy policy)
        : base(innerGenerator)
    {
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        Policy = policy ?? throw new ArgumentNullException(nameof(policy));
        var metadata = innerGenerator.GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata;
        _provider = metadata?.ProviderName;
        _defaultModel = policy.Model ?? metadata?.DefaultModelId;
        _counter = engine.Tokenizers.ForModel(_defaultModel);
        Engine.AddPolicy(policy);
    }

    /// <summary>The engine.</summary>
    public BudgetEngine Engine { get; }

    /// <summary>The budget.</summary>
    public BudgetPolicy Policy { get; }

    /// <inheritdoc/>
    public override async Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values as IReadOnlyList<string> ?? values.ToList();
        var model = options?.ModelId ?? _defaultModel;
        var counter = string.Equals(model, _defaultModel, StringComparison.Ordinal) ? _counter : Engine.Tokenizers.ForModel(model);

        // Embedding requests carry no chat overhead: each input is billed as its own tokens.
        var cap = Policy.MaxInputTokens ?? int.MaxValue;
        long input = 0;
        foreach (var text in inputs)
        {
            input += counter.CountText(text, (int)Math.Max(0, Math.Min(int.MaxValue, cap - input)));
            if (input > cap) break;
        }
        var estimate = new UsageEstimate(model, input, 0, Engine.Prices.ComputeCost(model, new TokenUsage(input, 0)));

        var (tenant, tags, remaining) = GuardCallContext.Read(options?.AdditionalProperties, defaultTenant: null, defaultTags: null);
        var forwarded = options;
        if (!ReferenceEquals(remaining, options?.AdditionalProperties))
        {
            forwarded = options!.Clone();
            forwarded.AdditionalProperties = remaining;
        }
        var context = new ReservationContext { Tenant = tenant, Provider = _provider, Tags = tags };

        var reservation = await Engine.ReserveAsync(Policy, estimate, context, cancellationToken).ConfigureAwait(false);
        GeneratedEmbeddings<TEmbedding> result;
        try
        {
            result = await base.GenerateAsync(inputs, forwarded, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Engine.ReleaseAsync(reservation, UsageStatus.Cancelled, "cancelled by the caller", new TokenUsage(input, 0)).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            await Engine.ReleaseAsync(reservation, UsageStatus.Failed, $"{ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            throw;
        }

        var reported = result.Usage is { InputTokenCount: not null } || result.Usage is { TotalTokenCount: not null };
        var usage = reported ? new TokenUsage(result.Usage!.InputTokenCount ?? result.Usage.TotalTokenCount ?? input, 0) : new TokenUsage(input, 0);
        await Engine.CommitAsync(reservation, usage, reported).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(BudgetEngine) ? Engine
        : serviceKey is null && serviceType == typeof(BudgetPolicy) ? Policy
        : base.GetService(serviceType, serviceKey);
}
