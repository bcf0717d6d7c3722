using System.Buffers;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Text as PostgreSQL can store it. Its text type holds neither a NUL character nor half of a UTF-16 surrogate pair (its
/// UTF-8 has no encoding for one, and the driver refuses the whole statement), yet both reach a record from outside: a
/// NUL in a caller's tag, half a pair in a model name a provider sent (<c>"\ud800"</c> is valid JSON). Each is stored as
/// U+FFFD, the character <see cref="System.Text.Json"/> writes for half a pair (so the spill and the database agree),
/// rather than the batch, and its record with it, being refused.
/// </summary>
internal static class PostgreSqlText
{
    private static readonly SearchValues<char> Suspect = SearchValues.Create("\0" + string.Concat(Enumerable.Range(0xD800, 0x800).Select(c => (char)c)));

    /// <summary><paramref name="value"/> itself when PostgreSQL can store it, else a copy with every NUL and every unpaired
    /// surrogate replaced by U+FFFD (whole pairs, such as emoji, are kept).</summary>
    public static string? Storable(string? value)
    {
        if (value is null) return null;
        var text = value.AsSpan();
        var first = text.IndexOfAny(Suspect);
        if (first < 0) return value;
        char[]? copy = null;
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (c != '\0' && !char.IsSurrogate(c)) continue;
            copy ??= value.ToCharArray();
            copy[i] = '\uFFFD';
        }
        return copy is null ? value : new string(copy);
    }
}
