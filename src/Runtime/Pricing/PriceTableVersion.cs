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
        var text = new StringBuilder();
        foreach (var model in catalog.Models.OrderBy(m => m, StringComparer.OrdinalIgnoreCase))
        {
            text.Append(model.ToLowerInvariant()).Append('=').Append(Describe(catalog.Resolve(model).Price)).Append('\n');
        }
        text.Append("*=").Append(Describe(catalog.DefaultPrice));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        var date = string.IsNullOrEmpty(catalog.AsOf) ? "custom" : catalog.AsOf;
        return date + "#" + Convert.ToHexStringLower(hash, 0, 4);
    }

    private static readonly System.Reflection.PropertyInfo[] PriceFields =
        typeof(ModelPrice).GetProperties().Where(p => p.CanRead).OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();

    // Every field of the price by name (a field added later is covered too), in the invariant culture so a machine's
    // locale cannot change the hash.
    private static string Describe(ModelPrice price) =>
        string.Join(';', PriceFields.Select(p => p.Name + ":" + Convert.ToString(p.GetValue(price), CultureInfo.InvariantCulture)));
}
