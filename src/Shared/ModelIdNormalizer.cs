// The one routine that turns a model id as a caller writes it into the ids to look it up by. The runtime's price
// catalogue (src/Runtime/Pricing) resolves prices through it and GAI003 (src/Analyzers/KnownModels.cs) decides
// "known model" through it, over the same ids (src/Shared/KnownModelIds.g.cs is generated from prices.json), so the
// build stays silent exactly when the runtime finds a price. Compiled into both; keep it netstandard2.0-compatible.
using System;
using System.Collections.Generic;

namespace GuardedAI.Schema;

internal static class ModelIdNormalizer
{
    /// <summary>Removes a provider prefix such as <c>openai/</c> or <c>models/</c> (everything up to the last slash).</summary>
    public static string StripProvider(string model)
    {
        var slash = model.LastIndexOf('/');
        return slash >= 0 ? model.Substring(slash + 1) : model;
    }

    /// <summary>
    /// The ids to look <paramref name="model"/> up by, most specific first: the trimmed id, without its provider
    /// prefix, without a date stamp, without <c>-latest</c>. Each is looked up as an alias first, then as an id,
    /// case-insensitively; the first hit wins.
    /// </summary>
    public static List<string> Candidates(string model)
    {
        var candidates = new List<string>(4);
        var id = model.Trim();
        candidates.Add(id);
        var bare = StripProvider(id);
        if (bare != id) candidates.Add(bare);
        var undated = WithoutDateSuffix(bare);
        if (undated != bare) candidates.Add(undated);
        if (undated.EndsWith("-latest", StringComparison.OrdinalIgnoreCase)) candidates.Add(undated.Substring(0, undated.Length - "-latest".Length));
        return candidates;
    }

    /// <summary>
    /// <paramref name="id"/> without a date stamp at its end — <c>-2024-08-06</c>, <c>-20241022</c> or <c>@20241022</c>,
    /// optionally followed by a version (<c>-v1</c>, <c>-v2:0</c>) — or <paramref name="id"/> itself when it has none.
    /// </summary>
    /// <remarks>
    /// What <c>Regex.Replace(id, @"([-@](\d{4}-\d{2}-\d{2}|\d{8}))(-v\d+(:\d+)?)?$", "")</c> gives for an id without a
    /// trailing newline (<see cref="Candidates"/> trims it), <c>\d</c> being any Unicode decimal digit, as there. Written out
    /// so that neither the price lookup of a dated id nor GAI003 compiles a regular expression. A match ends at the id's
    /// end, and its version, when there is one, can end only there too, so the date ends either at the end or where that
    /// version begins, and is 10 or 8 characters long: four places to try, the leftmost that fits is removed.
    /// </remarks>
    internal static string WithoutDateSuffix(string id)
    {
        var start = StampStart(id, id.Length, -1);
        var versionStart = VersionStart(id);
        if (versionStart >= 0) start = StampStart(id, versionStart, start);
        return start < 0 ? id : id.Substring(0, start);
    }

    /// <summary>The leftmost of <paramref name="found"/> (−1: none yet) and the starts of a stamp whose date ends at
    /// <paramref name="dateEnd"/>.</summary>
    private static int StampStart(string id, int dateEnd, int found)
    {
        if (IsDashedDate(id, dateEnd - 10) && IsStampMark(id, dateEnd - 11)) found = Leftmost(found, dateEnd - 11);
        if (AreDigits(id, dateEnd - 8, 8) && IsStampMark(id, dateEnd - 9)) found = Leftmost(found, dateEnd - 9);
        return found;
    }

    private static int Leftmost(int found, int candidate) => found < 0 || candidate < found ? candidate : found;

    private static bool IsStampMark(string id, int at) => at >= 0 && (id[at] == '-' || id[at] == '@');

    /// <summary><c>dddd-dd-dd</c> at <paramref name="at"/>.</summary>
    private static bool IsDashedDate(string id, int at) =>
        at >= 0 && at + 10 <= id.Length && AreDigits(id, at, 4) && id[at + 4] == '-' && AreDigits(id, at + 5, 2) && id[at + 7] == '-' && AreDigits(id, at + 8, 2);

    private static bool AreDigits(string id, int at, int count)
    {
        if (at < 0 || at + count > id.Length) return false;
        for (var i = at; i < at + count; i++)
        {
            if (!char.IsDigit(id[i])) return false;
        }
        return true;
    }

    /// <summary>Where a version suffix <c>-v&lt;digits&gt;</c> or <c>-v&lt;digits&gt;:&lt;digits&gt;</c> that ends the id begins; −1 when none does.</summary>
    private static int VersionStart(string id)
    {
        var at = DigitsBefore(id, id.Length);
        if (at == id.Length) return -1;
        if (at >= 1 && id[at - 1] == ':')
        {
            var major = DigitsBefore(id, at - 1);
            if (major < at - 1 && IsVersionMark(id, major)) return major - 2;
        }
        return IsVersionMark(id, at) ? at - 2 : -1;
    }

    /// <summary>"-v" just before <paramref name="at"/>.</summary>
    private static bool IsVersionMark(string id, int at) => at >= 2 && id[at - 1] == 'v' && id[at - 2] == '-';

    /// <summary>The start of the run of digits that ends at <paramref name="end"/> (<paramref name="end"/> itself when there is none).</summary>
    private static int DigitsBefore(string id, int end)
    {
        var at = end;
        while (at > 0 && char.IsDigit(id[at - 1])) at--;
        return at;
    }
}
