using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>Adds a <see cref="BudgetEmbeddingGenerator{TEmbedding}"/> to an <see cref="EmbeddingGeneratorBuilder{TInput, TEmbedding}"/> pipeline.</summary>
public static class BudgetEmbeddingGeneratorBuilderExtensions
{
    /// <summary>Guards the pipeline with <paramref name="policy"/> on <paramref name="engine"/>.</summary>
    public static EmbeddingGeneratorBuilder<string, TEmbedding> UseBudget<TEmbedding>(this EmbeddingGeneratorBuilder<string, TEmbedding> builder, BudgetEngine engine, BudgetPolicy policy, Action<BudgetEmbeddingGenerator<TEmbedding>>? configure = null)
        where TEmbedding : Embedding
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(policy);
        return builder.Use(inner => Create(inner, engine, policy, configure));
    }

    /// <summary>Guards the pipeline with the budget named <paramref name="budgetName"/> on the engine in the builder's services.</summary>
    public static EmbeddingGeneratorBuilder<string, TEmbedding> UseBudget<TEmbedding>(this EmbeddingGeneratorBuilder<string, TEmbedding> builder, string budgetName, Action<BudgetEmbeddingGenerator<TEmbedding>>? configure = null)
        where TEmbedding : Embedding
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(budgetName);
        return builder.Use((inner, services) =>
        {
            var (engine, policy) = BudgetServices.Resolve(services, budgetName);
            return Create(inner, engine, policy, configure);
        });
    }

    private static BudgetEmbeddingGenerator<TEmbedding> Create<TEmbedding>(IEmbeddingGenerator<string, TEmbedding> inner, BudgetEngine engine, BudgetPolicy policy, Action<BudgetEmbeddingGenerator<TEmbedding>>? configure)
        where TEmbedding : Embedding
    {
        var generator = new BudgetEmbeddingGenerator<TEmbedding>(inner, engine, policy);
        configure?.Invoke(generator);
        return generator;
    }
}
