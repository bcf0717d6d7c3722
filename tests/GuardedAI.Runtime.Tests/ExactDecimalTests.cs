namespace GuardedAI.Tests;

/// <summary>Costs and counter units computed in integers are the decimals decimal arithmetic gives, bit for bit (value and
/// scale: ledgers write the text and hash it), and the integer path steps aside whenever it cannot be exact.</summary>
public class ExactDecimalTests
{
    [Fact]
    public void A_cost_in_integers_is_the_decimal_cost_bit_for_bit_or_is_left_to_decimal_arithmetic()
    {
        var random = new Random(2026_12_01);
        int exact = 0, realisticExact = 0, realistic = 0;
        for (var i = 0; i < 500_000; i++)
        {
            var isRealistic = i % 2 == 0;
            var parts = new (long Tokens, decimal Price)[5];
            for (var p = 0; p < parts.Length; p++) parts[p] = isRealistic ? (RealisticTokens(random), RealisticPrice(random)) : (AnyTokens(random), AnyPrice(random));

            decimal? reference;
            try
            {
                reference = PriceCatalog.CostInDecimal(parts[0].Tokens, parts[0].Price, parts[1].Tokens, parts[1].Price, parts[2].Tokens, parts[2].Price,
                    parts[3].Tokens, parts[3].Price, parts[4].Tokens, parts[4].Price);
            }
            catch (OverflowException)
            {
                reference = null;
            }
            var done = ExactDecimal.TryCostPerMillion(parts[0].Tokens, parts[0].Price, parts[1].Tokens, parts[1].Price, parts[2].Tokens, parts[2].Price,
                parts[3].Tokens, parts[3].Price, parts[4].Tokens, parts[4].Price, out var cost);
            if (isRealistic) realistic++;
            if (!done) continue;
            exact++;
            if (isRealistic) realisticExact++;
            Assert.True(reference is not null, $"case {i}: integers gave {cost} where decimal arithmetic overflows");
            Assert.True(SameBits(reference!.Value, cost), $"case {i}: {Describe(parts)} gave {cost} (scale {cost.Scale}), decimal arithmetic {reference} (scale {reference.Value.Scale})");
        }
        // Every realistic call takes the integer path; the unrealistic half exercises the way out as well as the way through.
        Assert.Equal(realistic, realisticExact);
        Assert.InRange(exact - realisticExact, 1_000, 249_000);
    }

    [Theory]
    [InlineData(0, "0.15", 0, "0.075", 0, "0.15", 0, "0.60", 0, "0.60")]           // nothing used: a zero of the largest scale
    [InlineData(1_000_000, "2.50", 0, "1.25", 0, "2.50", 500_000, "10.00", 0, "10.00")]
    [InlineData(1, "0.000001", 0, "0", 0, "0", 1, "0.0000015", 0, "0")]             // sub-nano costs
    [InlineData(123_456_789, "0.15", 7, "0.075", 0, "0.1875", 98_765, "0.60", 4_321, "0.60")]
    [InlineData(3, "1500000.00", 0, "0", 0, "0", 0, "0", 0, "0")]                  // the quotient keeps the sum's own scale
    public void Chosen_costs_are_the_decimals_decimal_arithmetic_gives(long t1, string p1, long t2, string p2, long t3, string p3, long t4, string p4, long t5, string p5)
    {
        decimal D(string text) => decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ExactDecimal.TryCostPerMillion(t1, D(p1), t2, D(p2), t3, D(p3), t4, D(p4), t5, D(p5), out var cost));
        var reference = PriceCatalog.CostInDecimal(t1, D(p1), t2, D(p2), t3, D(p3), t4, D(p4), t5, D(p5));
        Assert.Equal(reference.ToString(System.Globalization.CultureInfo.InvariantCulture), cost.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(SameBits(reference, cost));
    }

    [Fact]
    public void Nano_dollar_units_in_integers_are_the_decimal_ceiling_or_are_left_to_decimal_arithmetic()
    {
        var random = new Random(9);
        var exact = 0;
        for (var i = 0; i < 300_000; i++)
        {
            var amount = i % 3 == 0 ? RealisticCost(random) : AnyPrice(random);
            long? reference;
            try { reference = BudgetUnits.NanoUnitsInDecimal(amount); }
            catch (OverflowException) { reference = null; }
            if (!ExactDecimal.TryNanoUnits(amount, out var units))
            {
                Assert.False(i % 3 == 0 && amount >= 0, $"a realistic cost {amount} left the integer path");
                continue;
            }
            exact++;
            Assert.Equal(reference, units);
        }
        Assert.InRange(exact, 150_000, 300_000);
        // The edges: a zero of any scale, the smallest nano-dollar fractions, and a negative amount (left to decimal).
        foreach (var text in new[] { "0", "0.000000000000", "0.000000001", "0.0000000011", "0.0000000019", "0.000000002", "12345678.123456789123", "-0.5" })
        {
            var amount = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            if (ExactDecimal.TryNanoUnits(amount, out var units)) Assert.Equal(BudgetUnits.NanoUnitsInDecimal(amount), units);
            else Assert.True(amount < 0, text);
        }
    }

    [Fact]
    public void Every_price_of_the_default_catalogue_prices_usage_as_decimal_arithmetic_does()
    {
        var catalog = PriceCatalog.CreateDefault();
        var random = new Random(3);
        foreach (var model in catalog.Models)
        {
            var price = catalog.Resolve(model).Price;
            for (var i = 0; i < 200; i++)
            {
                var input = random.NextInt64(0, 2_000_000);
                var usage = new TokenUsage(input, random.NextInt64(0, 200_000), random.NextInt64(0, input + 1), random.Next(2) == 0 ? 0 : random.NextInt64(0, 5_000), random.NextInt64(0, 50_000));
                var cost = PriceCatalog.ComputeCost(price, usage);
                Assert.True(SameBits(ReferenceCost(price, usage), cost), $"{model}: {usage} gave {cost}, decimal arithmetic {ReferenceCost(price, usage)}");
            }
        }
    }

    [Fact]
    public void A_compiled_price_prices_usage_as_decimal_arithmetic_does_on_every_side_and_edge()
    {
        // Prices with and without their optional rates and a long-context side, of realistic and of any scale; usages
        // below, at and above the threshold, with parts at and past 32 bits and negative counts.
        var random = new Random(2026_12_02);
        int compiledExact = 0, cases = 0;
        for (var p = 0; p < 4_000; p++)
        {
            var realistic = p % 2 == 0;
            decimal Rate() => realistic ? RealisticPrice(random) : AnyPrice(random);
            decimal? Optional() => random.Next(3) == 0 ? null : Rate();
            var price = new ModelPrice
            {
                InputPerMillion = Rate(),
                OutputPerMillion = Rate(),
                CachedInputPerMillion = Optional(),
                CacheWritePerMillion = Optional(),
                ReasoningPerMillion = Optional(),
                LongContextThreshold = random.Next(2) == 0 ? null : random.NextInt64(0, 300_000),
                LongContextInputPerMillion = Optional(),
                LongContextOutputPerMillion = Optional(),
                LongContextCachedInputPerMillion = Optional(),
                LongContextCacheWritePerMillion = Optional(),
            };
            var compiled = new CompiledPrice(price);
            for (var u = 0; u < 50; u++)
            {
                var input = realistic ? RealisticTokens(random) : AnyTokens(random) - (random.Next(8) == 0 ? long.MaxValue / 2 : 0);
                if (price.LongContextThreshold is { } threshold && u % 5 == 0) input = threshold + random.Next(-1, 2);
                var usage = new TokenUsage(input, realistic ? RealisticTokens(random) : AnyTokens(random),
                    random.NextInt64(0, Math.Max(1, input + 1)), random.Next(2) == 0 ? 0 : RealisticTokens(random), random.Next(2) == 0 ? 0 : RealisticTokens(random));
                decimal? reference;
                try { reference = ReferenceCost(price, usage); }
                catch (OverflowException) { reference = null; }
                cases++;
                decimal cost;
                try { cost = compiled.Cost(usage); }
                catch (OverflowException)
                {
                    Assert.True(reference is null, $"{usage} at {Describe(price)}: the compiled price overflowed where decimal arithmetic gives {reference}");
                    continue;
                }
                Assert.True(reference is not null, $"{usage} at {Describe(price)}: the compiled price gave {cost} where decimal arithmetic overflows");
                Assert.True(SameBits(reference!.Value, cost), $"{usage} at {Describe(price)}: compiled {cost} (scale {cost.Scale}), decimal arithmetic {reference} (scale {reference.Value.Scale})");
                if (realistic) compiledExact++;
            }
        }
        Assert.Equal(4_000 * 50, cases);
        Assert.Equal(2_000 * 50, compiledExact); // every realistic price and usage is priced, none overflows
    }

    [Fact]
    public void Every_price_of_the_default_catalogue_compiled_prices_usage_as_decimal_arithmetic_does()
    {
        var catalog = PriceCatalog.CreateDefault();
        var random = new Random(4);
        foreach (var model in catalog.Models)
        {
            var entry = catalog.ResolveEntry(model);
            Assert.Same(entry.Lookup.Price, entry.Compiled.Price);
            for (var i = 0; i < 200; i++)
            {
                var input = random.NextInt64(0, 2_000_000);
                var usage = new TokenUsage(input, random.NextInt64(0, 200_000), random.NextInt64(0, input + 1), random.Next(2) == 0 ? 0 : random.NextInt64(0, 5_000), random.NextInt64(0, 50_000));
                var cost = entry.Compiled.Cost(usage);
                Assert.True(SameBits(ReferenceCost(entry.Lookup.Price, usage), cost), $"{model}: {usage} gave {cost}, decimal arithmetic {ReferenceCost(entry.Lookup.Price, usage)}");
            }
        }
    }

    [Fact]
    public void A_catalogue_that_changes_prices_with_the_new_price()
    {
        var catalog = new PriceCatalog();
        catalog.Set("m", new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m });
        Assert.Equal(3m, catalog.ResolveEntry("m").Compiled.Cost(new TokenUsage(1_000_000, 1_000_000)));
        catalog.Set("m", new ModelPrice { InputPerMillion = 10m, OutputPerMillion = 20m });
        Assert.Equal(30m, catalog.ResolveEntry("m").Compiled.Cost(new TokenUsage(1_000_000, 1_000_000)));
        catalog.AddAlias("alias", "m");
        Assert.Equal(30m, catalog.ResolveEntry("alias").Compiled.Cost(new TokenUsage(1_000_000, 1_000_000)));
        catalog.DefaultPrice = new ModelPrice { InputPerMillion = 5m, OutputPerMillion = 5m };
        Assert.Equal(10m, catalog.ResolveEntry("unknown").Compiled.Cost(new TokenUsage(1_000_000, 1_000_000)));
    }

    private static string Describe(ModelPrice price) =>
        $"in {price.InputPerMillion} out {price.OutputPerMillion} cached {price.CachedInputPerMillion} write {price.CacheWritePerMillion} reasoning {price.ReasoningPerMillion} " +
        $"long>{price.LongContextThreshold}: in {price.LongContextInputPerMillion} out {price.LongContextOutputPerMillion} cached {price.LongContextCachedInputPerMillion} write {price.LongContextCacheWritePerMillion}";

    /// <summary>The pricing rule spelled out in decimal arithmetic, as it was before the integer path.</summary>
    private static decimal ReferenceCost(ModelPrice price, TokenUsage usage)
    {
        var longContext = price.LongContextThreshold is { } threshold && usage.InputTokens > threshold;
        var input = longContext ? price.LongContextInputPerMillion ?? price.InputPerMillion : price.InputPerMillion;
        var output = longContext ? price.LongContextOutputPerMillion ?? price.OutputPerMillion : price.OutputPerMillion;
        var cached = (longContext ? price.LongContextCachedInputPerMillion : null) ?? price.CachedInputPerMillion ?? input;
        var cacheWrite = (longContext ? price.LongContextCacheWritePerMillion : null) ?? price.CacheWritePerMillion ?? input;
        var reasoning = price.ReasoningPerMillion ?? output;
        var inputTokens = Math.Max(0, usage.InputTokens);
        var outputTokens = Math.Max(0, usage.OutputTokens);
        var cachedTokens = Math.Clamp(usage.CachedInputTokens, 0, inputTokens);
        var writeTokens = Math.Clamp(usage.CacheWriteInputTokens, 0, inputTokens - cachedTokens);
        var reasoningTokens = Math.Clamp(usage.ReasoningTokens, 0, outputTokens);
        var total = (inputTokens - cachedTokens - writeTokens) * input + cachedTokens * cached + writeTokens * cacheWrite
            + (outputTokens - reasoningTokens) * output + reasoningTokens * reasoning;
        return total / 1_000_000m;
    }

    private static long RealisticTokens(Random random) => random.Next(4) switch
    {
        0 => 0,
        1 => random.Next(1, 1_000),
        2 => random.Next(1_000, 200_000),
        _ => random.NextInt64(200_000, 20_000_000),
    };

    /// <summary>A price per million as price tables spell them: up to $1,000 with up to 6 decimals.</summary>
    private static decimal RealisticPrice(Random random)
    {
        var scale = random.Next(0, 7);
        return Make((ulong)random.NextInt64(0, 1_000 * (long)Math.Pow(10, scale) + 1), (byte)scale);
    }

    /// <summary>The cost of one call: up to $100,000, with 8 to 15 decimals (prices per million have up to 6, and the
    /// division by a million adds 6; a costs' sum may carry more).</summary>
    private static decimal RealisticCost(Random random) => Make((ulong)random.NextInt64(0, 10_000_000_000_000), (byte)random.Next(8, 16));

    private static decimal Make(ulong mantissa, byte scale) => new((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, false, scale);

    /// <summary>Token counts at and past the integer path's edges (a fifth beyond 32 bits).</summary>
    private static long AnyTokens(Random random) => random.Next(5) switch
    {
        0 => 0,
        1 => random.Next(),
        2 => random.NextInt64(0, 1L << 32),
        3 => random.Next(1, 100),
        _ => random.NextInt64(),
    };

    /// <summary>Prices (and amounts) of every scale up to 28, at and past the edges: zeros, 31-bit mantissas, wider
    /// ones, negatives.</summary>
    private static decimal AnyPrice(Random random)
    {
        var scale = (byte)(random.Next(3) == 0 ? random.Next(0, 29) : random.Next(0, 12));
        return random.Next(10) switch
        {
            0 or 1 => new decimal(0, 0, 0, false, scale),
            2 or 3 or 4 => new decimal(random.Next(), 0, 0, false, scale),
            5 => new decimal(random.Next(), random.Next(), 0, false, scale),
            6 => new decimal(random.Next(), random.Next(), random.Next(1, int.MaxValue), false, scale), // past 64 bits
            7 => new decimal(random.Next(), random.Next(0, 3), 0, random.Next(2) == 0, scale),        // often negative
            _ => new decimal(random.Next(0, 100_000), 0, 0, false, scale),
        };
    }

    private static bool SameBits(decimal a, decimal b) => decimal.GetBits(a).SequenceEqual(decimal.GetBits(b));

    private static string Describe((long Tokens, decimal Price)[] parts) => string.Join(" + ", parts.Select(p => $"{p.Tokens} × {p.Price}"));
}
