namespace GuardedAI;

/// <summary>
/// The two decimal computations every guarded call makes — a cost of tokens at prices per million, and that cost in
/// nano-dollar counter units — done in 64-bit integers when the numbers allow, giving the same <see cref="decimal"/>
/// bit for bit (value and scale) as decimal arithmetic: the cost is written to ledgers as text and hashed into the
/// ledger's chain, so an equal value with another scale would not do. When a number does not fit (a price with more
/// than 9 significant digits or a token count past 2³², a negative price, a sum past 2⁶⁴, a scale past 28), the caller
/// does the decimal arithmetic instead. <c>ExactDecimalTests</c> compares both on several hundred thousand random inputs.
/// </summary>
/// <remarks>
/// What decimal arithmetic does, and this reproduces: <c>tokens × price</c> of 32-bit mantissas keeps the price's scale
/// (zero tokens give a zero of that scale; wider operands may give a zero of scale 0, so they are left to decimal); a
/// sum takes the largest scale of its terms; <c>sum / 1,000,000</c> gives the exact quotient at the smallest scale that
/// holds it, but never below the sum's own scale; <c>Ceiling(cost × 10⁹)</c> is the exact ceiling while the product
/// fits 96 bits, which a 64-bit mantissa always does.
/// </remarks>
internal static class ExactDecimal
{
    private static readonly ulong[] PowersOfTen =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    /// <summary>Σ tokensᵢ × priceᵢ / 1,000,000 over five parts, as decimal arithmetic would give it; false when it cannot be
    /// done exactly in 64 bits (the caller then computes it in decimal). Token counts are not negative.</summary>
    public static bool TryCostPerMillion(
        long tokens1, decimal price1, long tokens2, decimal price2, long tokens3, decimal price3,
        long tokens4, decimal price4, long tokens5, decimal price5, out decimal cost)
    {
        cost = 0m;
        // Only 32-bit token counts and price mantissas: decimal multiplication keeps the price's scale on a zero product
        // only in its 32 × 32-bit path (its wider paths return a zero of scale 0), and that path is the one reproduced here.
        if ((ulong)tokens1 > uint.MaxValue || (ulong)tokens2 > uint.MaxValue || (ulong)tokens3 > uint.MaxValue || (ulong)tokens4 > uint.MaxValue || (ulong)tokens5 > uint.MaxValue) return false;
        if (!TrySplit(price1, out var m1, out var s1) || !TrySplit(price2, out var m2, out var s2) || !TrySplit(price3, out var m3, out var s3)
            || !TrySplit(price4, out var m4, out var s4) || !TrySplit(price5, out var m5, out var s5)) return false;
        if ((m1 | m2 | m3 | m4 | m5) > uint.MaxValue) return false;
        var scale = Math.Max(Math.Max(Math.Max(s1, s2), Math.Max(s3, s4)), s5);
        ulong sum = 0;
        if (!TryAddTerm(ref sum, tokens1, m1, scale - s1) || !TryAddTerm(ref sum, tokens2, m2, scale - s2) || !TryAddTerm(ref sum, tokens3, m3, scale - s3)
            || !TryAddTerm(ref sum, tokens4, m4, scale - s4) || !TryAddTerm(ref sum, tokens5, m5, scale - s5)) return false;
        return TryPerMillion(sum, scale, out cost);
    }

    /// <summary><c>sum × 10^-scale / 1,000,000</c> as decimal division gives it (see the remarks); false when the result's
    /// scale would pass 28.</summary>
    public static bool TryPerMillion(ulong sum, int scale, out decimal cost)
    {
        // Divide by 10⁶: take out as many of the six powers of ten as the sum's trailing zeros allow; the rest raise the scale.
        var removed = 0;
        if (sum == 0) removed = 6;
        else
        {
            while (removed < 6 && sum % 10 == 0)
            {
                sum /= 10;
                removed++;
            }
        }
        var resultScale = scale + 6 - removed;
        cost = 0m;
        if (resultScale > 28) return false;
        cost = new decimal((int)(uint)sum, (int)(uint)(sum >> 32), 0, isNegative: false, (byte)resultScale);
        return true;
    }

    /// <summary><c>mantissa × 10^raise</c>, when it fits 64 bits.</summary>
    public static bool TryRaise(ulong mantissa, int raise, out ulong raised)
    {
        raised = 0;
        if (raise > 19) return false;
        var high = Math.BigMul(mantissa, PowersOfTen[raise], out raised);
        return high == 0;
    }

    /// <summary><c>(long)Ceiling(amount × 10⁹)</c>, as decimal arithmetic would give it; false when it cannot be done exactly
    /// in 64 bits or the amount is negative.</summary>
    public static bool TryNanoUnits(decimal amount, out long units)
    {
        units = 0;
        if (!TrySplit(amount, out var mantissa, out var scale)) return false;
        if (scale <= 9)
        {
            var high = Math.BigMul(mantissa, PowersOfTen[9 - scale], out var low);
            if (high != 0 || low > long.MaxValue) return false;
            units = (long)low;
            return true;
        }
        var divisor = PowersOfTen[scale - 9]; // a decimal's scale is at most 28
        var quotient = mantissa / divisor;
        if (quotient * divisor != mantissa) quotient++;
        units = (long)quotient; // at most 2⁶⁴ / 10 after a division by ten or more: fits a long
        return true;
    }

    /// <summary>A non-negative decimal as its mantissa (when it fits 64 bits) and scale.</summary>
    public static bool TrySplit(decimal value, out ulong mantissa, out int scale)
    {
        // Four ints in a struct rather than stackalloc: a stackalloc buffer gets a stack-overrun check on every call.
        var bits = default(DecimalBits);
        decimal.GetBits(value, bits);
        scale = (bits[3] >> 16) & 0xFF;
        mantissa = (ulong)(uint)bits[1] << 32 | (uint)bits[0];
        return bits[2] == 0 && bits[3] >= 0;
    }

    /// <summary>Adds <c>tokens × mantissa × 10^raise</c> to <paramref name="sum"/>; false when it does not fit 64 bits.
    /// The caller has checked that <paramref name="tokens"/> is a 32-bit count (so not negative).</summary>
    private static bool TryAddTerm(ref ulong sum, long tokens, ulong mantissa, int raise)
    {
        if (raise > 19) return false;
        var high = Math.BigMul((ulong)tokens, mantissa, out var product);
        return high == 0 && TryAddProduct(ref sum, product, PowersOfTen[raise]);
    }

    /// <summary>Adds <c>a × b</c> to <paramref name="sum"/>; false when the product or the sum does not fit 64 bits.</summary>
    public static bool TryAddProduct(ref ulong sum, ulong a, ulong b)
    {
        var high = Math.BigMul(a, b, out var product);
        var next = sum + product;
        if (high != 0 || next < sum) return false;
        sum = next;
        return true;
    }

    [System.Runtime.CompilerServices.InlineArray(4)]
    private struct DecimalBits
    {
        private int _element;
    }
}
