namespace GuardedAI;

/// <summary>
/// The five per-million rates a usage is priced at, as <see cref="PriceCatalog.ComputeCost(ModelPrice, TokenUsage)"/>
/// picks them: above the long-context threshold every rate that has a long-context variant uses it; a cached or
/// cache-written token without a price of its own is priced as input, a reasoning token without one as output.
/// </summary>
internal readonly record struct CostRates(decimal Input, decimal Cached, decimal CacheWrite, decimal Output, decimal Reasoning)
{
    /// <summary>The rates of <paramref name="price"/> below the long-context threshold, or above it.</summary>
    public static CostRates For(ModelPrice price, bool longContext)
    {
        var input = longContext ? price.LongContextInputPerMillion ?? price.InputPerMillion : price.InputPerMillion;
        var output = longContext ? price.LongContextOutputPerMillion ?? price.OutputPerMillion : price.OutputPerMillion;
        return new CostRates(
            input,
            (longContext ? price.LongContextCachedInputPerMillion : null) ?? price.CachedInputPerMillion ?? input,
            (longContext ? price.LongContextCacheWritePerMillion : null) ?? price.CacheWritePerMillion ?? input,
            output,
            price.ReasoningPerMillion ?? output);
    }
}
