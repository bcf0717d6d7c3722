using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GuardedAI;

/// <summary>
/// The version of a price table as usage records name it: the table's date and a short hash of every entry
/// (<c>2025-11-20#3fa9c2d1</c>; <c>custom#…</c> for a table built by hand). Two catalogues with the same prices have
/// the same version; any changed, added or removed price changes the hash, so a bill can always say which prices
/// made it. Aliases and the unknown-model default are part of it too where they change a price.
/// </summary>
public static class PriceTableVersion
{
    /// <summary>The version of <paramref name="catalog"/> as it is now.</summary>
    public static string Of(PriceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.IsEmbeddedTable ? PriceCatalog.EmbeddedTableVersion : Compute(catalog);
    }

    /// <summary>The version hashed from the catalogue's entries, always (no shortcut for the embedded table).</summary>
    internal static string Compute(PriceCatalog catalog)
    {
        // Loops, not LINQ or reflection per value: every engine computes this when it is built, on a process's first
        // call's path (a LINQ and PropertyInfo.GetValue version took 35–75 ms of a cold start under load).
        var models = new string[catalog.Models.Count];
        var count = 0;
        foreach (var model in catalog.Models)
        {
            if (count == models.Length) Array.Resize(ref models, count * 2 + 1);
            models[count++] = model;
        }
        Array.Sort(models, 0, count, StringComparer.OrdinalIgnoreCase); // keys are distinct ignoring case: the order is total
        var text = new StringBuilder(count * 200);
        for (var i = 0; i < count; i++)
        {
            text.Append(models[i].ToLowerInvariant()).Append('=');
            Describe(text, catalog.EntryPrice(models[i]));
            text.Append('\n');
        }
        text.Append("*=");
        Describe(text, catalog.DefaultPrice);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        var date = string.IsNullOrEmpty(catalog.AsOf) ? "custom" : catalog.AsOf;
        return date + "#" + Convert.ToHexStringLower(hash, 0, 4);
    }

    /// <summary>Every readable property of <see cref="ModelPrice"/> by name, in ordinal order. Listed, not read by
    /// reflection at start-up; <c>PriceTableVersionTests</c> checks every property is described, and <see cref="Value"/>
    /// throws for a name it does not know.</summary>
    private static readonly string[] PriceFields = FieldNames();

    private static string[] FieldNames()
    {
        string[] names =
        [
            nameof(ModelPrice.InputPerMillion), nameof(ModelPrice.OutputPerMillion), nameof(ModelPrice.CachedInputPerMillion),
            nameof(ModelPrice.CacheWritePerMillion), nameof(ModelPrice.ReasoningPerMillion), nameof(ModelPrice.LongContextThreshold),
            nameof(ModelPrice.LongContextInputPerMillion), nameof(ModelPrice.LongContextOutputPerMillion),
            nameof(ModelPrice.LongContextCachedInputPerMillion), nameof(ModelPrice.LongContextCacheWritePerMillion),
            nameof(ModelPrice.Provider), nameof(ModelPrice.Mode),
        ];
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    // "Name:value;Name:value…" over every field, in the invariant culture so a machine's locale cannot change the hash
    // (null is empty, as Convert.ToString writes it).
    internal static void Describe(StringBuilder text, ModelPrice price)
    {
        for (var i = 0; i < PriceFields.Length; i++)
        {
            if (i > 0) text.Append(';');
            text.Append(PriceFields[i]).Append(':').Append(Value(price, PriceFields[i]));
        }
    }

    private static string Value(ModelPrice price, string field) => field switch
    {
        nameof(ModelPrice.InputPerMillion) => Invariant(price.InputPerMillion),
        nameof(ModelPrice.OutputPerMillion) => Invariant(price.OutputPerMillion),
        nameof(ModelPrice.CachedInputPerMillion) => Invariant(price.CachedInputPerMillion),
        nameof(ModelPrice.CacheWritePerMillion) => Invariant(price.CacheWritePerMillion),
        nameof(ModelPrice.ReasoningPerMillion) => Invariant(price.ReasoningPerMillion),
        nameof(ModelPrice.LongContextThreshold) => price.LongContextThreshold?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
        nameof(ModelPrice.LongContextInputPerMillion) => Invariant(price.LongContextInputPerMillion),
        nameof(ModelPrice.LongContextOutputPerMillion) => Invariant(price.LongContextOutputPerMillion),
        nameof(ModelPrice.LongContextCachedInputPerMillion) => Invariant(price.LongContextCachedInputPerMillion),
        nameof(ModelPrice.LongContextCacheWritePerMillion) => Invariant(price.LongContextCacheWritePerMillion),
        nameof(ModelPrice.Provider) => price.Provider ?? string.Empty,
        nameof(ModelPrice.Mode) => price.Mode ?? string.Empty,
        _ => throw new InvalidOperationException($"PriceTableVersion does not describe ModelPrice.{field}: add it, or two tables differing only in it would share a version."),
    };

    private static string Invariant(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;
}
