using Microsoft.ML.Tokenizers;

namespace GuardedAI.Tests;

public class BudgetEmbeddingGeneratorTests
{
    [Fact]
    public async Task Embedding_inputs_are_counted_reserved_and_settled_with_reported_usage()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("embed").ForModel("text-embedding-3-small").WithLimit(BudgetDimension.InputTokens, BudgetWindow.Day, 1_000).Build();
        var fake = new FakeEmbeddingGenerator(reportUsage: true);
        var generator = new EmbeddingGeneratorBuilder<string, Embedding<float>>(fake).UseBudget(engine, policy).Build();

        await generator.GenerateAsync(["first document", "second, longer document about refunds"],
            new EmbeddingGenerationOptions { AdditionalProperties = new() { [BudgetChatClient.TenantKey] = "acme" } });

        var record = Assert.Single(engine.Ledger.Snapshot());
        var tok = TiktokenTokenizer.CreateForModel("text-embedding-3-small");
        Assert.Equal(tok.CountTokens("first document") + tok.CountTokens("second, longer document about refunds"), record.ReservedInputTokens);
        Assert.Equal(17, record.InputTokens); // what the provider reported
        Assert.Equal("acme", record.Tenant);
        Assert.Equal(17 * 0.02m / 1_000_000m, record.CostUsd);
        Assert.False(fake.LastOptions!.AdditionalProperties?.ContainsKey(BudgetChatClient.TenantKey) ?? false);
    }

    [Fact]
    public async Task An_embedding_batch_above_the_daily_limit_is_denied_before_it_is_sent()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("embed").ForModel("text-embedding-3-small").WithLimit(BudgetDimension.InputTokens, BudgetWindow.Day, 20).Build();
        var fake = new FakeEmbeddingGenerator(reportUsage: false);
        var generator = new BudgetEmbeddingGenerator<Embedding<float>>(fake, engine, policy);

        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => generator.GenerateAsync([string.Join(' ', Enumerable.Repeat("word", 50))]));

        Assert.Equal(BudgetDimension.InputTokens, denied.Dimension);
        Assert.Equal(0, fake.Calls);
    }

    private sealed class FakeEmbeddingGenerator(bool reportUsage) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public int Calls;
        public EmbeddingGenerationOptions? LastOptions;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            LastOptions = options;
            var result = new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new float[] { 0.1f, 0.2f })));
            if (reportUsage) result.Usage = new UsageDetails { InputTokenCount = 17, TotalTokenCount = 17 };
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("fake", null, "text-embedding-3-small") : null;

        public void Dispose() { }
    }
}
