using System.Globalization;
using System.Text;

namespace GuardedAI;

/// <summary>One row of a usage summary: the totals of a group of records.</summary>
public sealed record UsageSummaryRow(string Key)
{
    /// <summary>Calls in the group.</summary>
    public int Calls { get; init; }
    /// <summary>Calls that succeeded.</summary>
    public int Succeeded { get; init; }
    /// <summary>Calls that failed at the provider.</summary>
    public int Failed { get; init; }
    /// <summary>Calls GuardedAI denied.</summary>
    public int Denied { get; init; }
    /// <summary>Calls cancelled or abandoned.</summary>
    public int Cancelled { get; init; }
    /// <summary>Input tokens billed.</summary>
    public long InputTokens { get; init; }
    /// <summary>Output tokens billed.</summary>
    public long OutputTokens { get; init; }
    /// <summary>Cached input tokens.</summary>
    public long CachedInputTokens { get; init; }
    /// <summary>Actual cost in USD.</summary>
    public decimal CostUsd { get; init; }
    /// <summary>Reserved (estimated) cost in USD of the calls that went ahead.</summary>
    public decimal ReservedCostUsd { get; init; }
}

/// <summary>Totals of usage records, grouped by budget, model, tenant, day or a tag.</summary>
public static class UsageSummary
{
    /// <summary>Groups by budget.</summary>
    public static readonly Func<UsageRecord, string> ByBudget = r => r.Budget;
    /// <summary>Groups by model.</summary>
    public static readonly Func<UsageRecord, string> ByModel = r => r.Model ?? "(unknown)";
    /// <summary>Groups by tenant.</summary>
    public static readonly Func<UsageRecord, string> ByTenant = r => r.Tenant ?? "(none)";
    /// <summary>Groups by UTC day.</summary>
    public static readonly Func<UsageRecord, string> ByDay = r => r.Timestamp.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Groups by the value of tag <paramref name="tag"/> (e.g. <c>category</c>).</summary>
    public static Func<UsageRecord, string> ByTag(string tag) => r => r.Tags.TryGetValue(tag, out var v) ? v : "(untagged)";

    /// <summary>Totals of <paramref name="records"/> grouped by <paramref name="key"/>, largest cost first; the last row is the total.</summary>
    public static IReadOnlyList<UsageSummaryRow> Build(IEnumerable<UsageRecord> records, Func<UsageRecord, string> key)
    {
        var list = records as IReadOnlyCollection<UsageRecord> ?? records.ToList();
        var rows = list.GroupBy(key, StringComparer.Ordinal)
            .Select(g => Total(g.Key, g))
            .OrderByDescending(r => r.CostUsd).ThenBy(r => r.Key, StringComparer.Ordinal)
            .ToList();
        rows.Add(Total("TOTAL", list));
        return rows;
    }

    /// <summary>Renders rows as a fixed-width text table.</summary>
    public static string ToTable(IReadOnlyList<UsageSummaryRow> rows, string keyHeader = "Group")
    {
        string[] headers = [keyHeader, "Calls", "OK", "Failed", "Denied", "Input tok", "Output tok", "Cost USD", "Reserved USD"];
        var cells = rows.Select(r => new[]
        {
            r.Key, N(r.Calls), N(r.Succeeded), N(r.Failed), N(r.Denied), N(r.InputTokens), N(r.OutputTokens),
            r.CostUsd.ToString("0.000000", CultureInfo.InvariantCulture), r.ReservedCostUsd.ToString("0.000000", CultureInfo.InvariantCulture),
        }).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        var sb = new StringBuilder();
        Line(headers);
        sb.AppendLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        for (var i = 0; i < cells.Count; i++)
        {
            if (i == cells.Count - 1 && cells.Count > 1) sb.AppendLine(string.Join("-+-", widths.Select(w => new string('-', w))));
            Line(cells[i]);
        }
        return sb.ToString();

        void Line(string[] values) => sb.AppendLine(string.Join(" | ", values.Select((v, i) => i == 0 ? v.PadRight(widths[i]) : v.PadLeft(widths[i]))));
        static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);
    }

    private static UsageSummaryRow Total(string key, IEnumerable<UsageRecord> records)
    {
        int calls = 0, ok = 0, failed = 0, denied = 0, cancelled = 0;
        long input = 0, output = 0, cached = 0;
        decimal cost = 0, estimated = 0;
        foreach (var r in records)
        {
            calls++;
            switch (r.Status)
            {
                case UsageStatus.Success: ok++; break;
                case UsageStatus.Failed: failed++; break;
                case UsageStatus.Denied: denied++; break;
                case UsageStatus.Cancelled: cancelled++; break;
            }
            input += r.InputTokens;
            output += r.OutputTokens;
            cached += r.CachedInputTokens;
            cost += r.CostUsd;
            if (r.Status != UsageStatus.Denied) estimated += r.ReservedCostUsd;
        }
        return new UsageSummaryRow(key)
        {
            Calls = calls, Succeeded = ok, Failed = failed, Denied = denied, Cancelled = cancelled,
            InputTokens = input, OutputTokens = output, CachedInputTokens = cached, CostUsd = cost, ReservedCostUsd = estimated,
        };
    }
}
