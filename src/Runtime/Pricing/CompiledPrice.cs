namespace GuardedAI;

/// <summary>
/// A model's price made ready for the cost a guarded call computes twice (its estimate when it reserves, its usage when
/// it settles). <see cref="PriceCatalog.ComputeCost(ModelPrice, TokenUsage)"/> picks the rates, splits five decimals into
/// mantissa and scale and brings them to one scale on every call; here that is done once per price, so a cost is five
/// integer products and a division by a million. The result is the same decimal bit for bit (value and scale), and a
/// price or a usage the integers cannot hold exactly is priced by <see cref="PriceCatalog.ComputeCost(ModelPrice, TokenUsage)"/>
/// itself (<c>ExactDecimalTests</c> compares the two).
/// </summary>
/// <remarks>Built from the <see cref="ModelPrice"/> the catalogue resolved, which is immutable: a catalogue that changes
/// resolves (and compiles) again.</remarks>
internal sealed class CompiledPrice
{
    private readonly Rates _normal;
    private readonly Rates _longContext;
    private readonly long _longContextThreshold;

    public CompiledPrice(ModelPrice price)
    {
        Price = price;
        _normal = Rates.For(price, longContext: false);
        // Without a threshold no usage is long-context: the threshold is the largest count there is.
        _longContextThreshold = price.LongContextThreshold ?? long.MaxValue;
        _longContext = price.LongContextThreshold is null ? _normal : Rates.For(price, longContext: true);
    }

    public ModelPrice Price { get; }

    /// <summary>The cost in USD of <paramref name="usage"/>: <see cref="PriceCatalog.ComputeCost(ModelPrice, TokenUsage)"/>'s.</summary>
    public decimal Cost(in TokenUsage usage)
    {
        var rates = usage.InputTokens > _longContextThreshold ? _longContext : _normal;
        if (!rates.IsExact) return PriceCatalog.ComputeCost(Price, usage);
        var parts = CostParts.Of(usage);
        ulong sum = 0;
        return TryAdd(ref sum, parts.PlainInput, rates.Input)
            && TryAdd(ref sum, parts.Cached, rates.Cached)
            && TryAdd(ref sum, parts.CacheWrite, rates.CacheWrite)
            && TryAdd(ref sum, parts.PlainOutput, rates.Output)
            && TryAdd(ref sum, parts.Reasoning, rates.Reasoning)
            && ExactDecimal.TryPerMillion(sum, rates.Scale, out var cost)
            ? cost
            : PriceCatalog.ComputeCost(Price, usage);
    }

    /// <summary>Adds <c>tokens × rate</c>; false when it does not fit 64 bits or the count is past 32 bits (decimal keeps a
    /// zero product's scale only in its 32-bit path, the one <see cref="ExactDecimal"/> reproduces).</summary>
    private static bool TryAdd(ref ulong sum, long tokens, ulong rate) =>
        (ulong)tokens <= uint.MaxValue && ExactDecimal.TryAddProduct(ref sum, (ulong)tokens, rate);

    /// <summary>One side's five rates (plain input, cached input, cache write, plain output, reasoning) as integer mantissas
    /// at their largest scale, or <see cref="IsExact"/> false when a rate is negative or too wide for that.</summary>
    private sealed class Rates
    {
        public bool IsExact { get; private init; }
        public int Scale { get; private init; }
        public ulong Input { get; private init; }
        public ulong Cached { get; private init; }
        public ulong CacheWrite { get; private init; }
        public ulong Output { get; private init; }
        public ulong Reasoning { get; private init; }

        /// <summary>The rates <see cref="PriceCatalog.ComputeCost(ModelPrice, TokenUsage)"/> picks for a usage below
        /// (or above) the long-context threshold.</summary>
        public static Rates For(ModelPrice price, bool longContext)
        {
            var picked = CostRates.For(price, longContext);
            decimal[] rates = [picked.Input, picked.Cached, picked.CacheWrite, picked.Output, picked.Reasoning];

            var mantissas = new ulong[rates.Length];
            var scales = new int[rates.Length];
            var scale = 0;
            for (var i = 0; i < rates.Length; i++)
            {
                // 32-bit mantissas only, as ExactDecimal.TryCostPerMillion requires.
                if (!ExactDecimal.TrySplit(rates[i], out mantissas[i], out scales[i]) || mantissas[i] > uint.MaxValue) return new Rates();
                scale = Math.Max(scale, scales[i]);
            }
            var raised = new ulong[rates.Length];
            for (var i = 0; i < rates.Length; i++)
            {
                if (!ExactDecimal.TryRaise(mantissas[i], scale - scales[i], out raised[i])) return new Rates();
            }
            return new Rates
            {
                IsExact = true,
                Scale = scale,
                Input = raised[0],
                Cached = raised[1],
                CacheWrite = raised[2],
                Output = raised[3],
                Reasoning = raised[4],
            };
        }
    }
}
