using System.Globalization;

namespace GuardedAI;

/// <summary>
/// CSV exports of usage for billing: one row per (tenant,) provider and model in the format billing tools expect
/// (<c>Provider,Model,Tokens In,Tokens Out,Total Tokens,Cost USD</c>), or one row per call. RFC 4180 quoting;
/// cells that a spreadsheet would run as a formula (starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>) are
/// prefixed with an apostrophe, because model ids and tags can come from users.
/// </summary>
public static class UsageCsv
{
    /// <summary>Writes totals per provider and model (per tenant first when <paramref name="perTenant"/>); denied calls are left out.</summary>
    public static void WriteBillingSummary(TextWriter writer, IEnumerable<UsageRecord> records, bool perTenant = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var rows = records
            .Where(r => r.Status != UsageStatus.Denied)
            .GroupBy(r => (Tenant: perTenant ? r.Tenant ?? "" : "", Provider: r.Provider ?? "", Model: r.Model ?? ""))
            .OrderBy(g => g.Key.Tenant, StringComparer.Ordinal).ThenBy(g => g.Key.Provider, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal);
        writer.WriteLine(perTenant ? "Tenant,Provider,Model,Tokens In,Tokens Out,Total Tokens,Cost USD" : "Provider,Model,Tokens In,Tokens Out,Total Tokens,Cost USD");
        foreach (var group in rows)
        {
            long input = group.Sum(r => r.InputTokens), output = group.Sum(r => r.OutputTokens);
            var cost = group.Sum(r => r.CostUsd);
            if (perTenant) writer.Write(Cell(group.Key.Tenant) + ",");
            writer.WriteLine(string.Join(',', Cell(group.Key.Provider), Cell(group.Key.Model), N(input), N(output), N(input + output),
                cost.ToString("0.0000", CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>Writes one row per call with every field of <see cref="UsageRecord"/>; tags as <c>k=v;k2=v2</c>.</summary>
    public static void WriteRecords(TextWriter writer, IEnumerable<UsageRecord> records)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine("Id,Timestamp,Budget,Tenant,Provider,Model,Status,Tokens In,Tokens Out,Cached Tokens In,Reasoning Tokens,Reserved Tokens In,Reserved Tokens Out,Reserved Cost USD,Cost USD,Usage Reported,Duration Ms,Reason,Tags");
        foreach (var r in records)
        {
            writer.WriteLine(string.Join(',',
                Cell(r.Id), r.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture), Cell(r.Budget), Cell(r.Tenant ?? ""),
                Cell(r.Provider ?? ""), Cell(r.Model ?? ""), r.Status, N(r.InputTokens), N(r.OutputTokens), N(r.CachedInputTokens), N(r.ReasoningTokens),
                N(r.ReservedInputTokens), N(r.ReservedOutputTokens), r.ReservedCostUsd.ToString("0.########", CultureInfo.InvariantCulture),
                r.CostUsd.ToString("0.########", CultureInfo.InvariantCulture), r.UsageReported ? "true" : "false",
                ((long)r.Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), Cell(r.Reason ?? ""),
                Cell(string.Join(';', r.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")))));
        }
    }

    /// <summary>
    /// Writes a bill (the <c>guardedai export</c> file): reference 003's columns
    /// <c>Provider,Model,Tokens In,Tokens Out,Total Tokens,Cost USD</c> first, so a tool reading them by position still
    /// works, then <c>Tenant,Period,Price Table Version</c>, and with a markup <c>Markup Percent,Charge USD</c>. Costs
    /// are exact decimals with at least four places, so the column sums to the ledger's total exactly; lines end in
    /// CRLF as RFC 4180 says. Denied calls are not billed.
    /// </summary>
    public static void WriteBillingStatement(TextWriter writer, Reports.BillingStatement statement)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(statement);
        var markup = statement.MarkupPercent != 0;
        writer.Write("Provider,Model,Tokens In,Tokens Out,Total Tokens,Cost USD,Tenant,Period,Price Table Version" + (markup ? ",Markup Percent,Charge USD" : "") + "\r\n");
        foreach (var line in statement.Lines)
        {
            var cells = new List<string>
            {
                Cell(line.Provider ?? ""), Cell(line.Model ?? ""), N(line.InputTokens), N(line.OutputTokens), N(line.TotalTokens), Money(line.CostUsd),
                Cell(line.Tenant ?? ""), Cell(statement.Period), Cell(string.Join("; ", line.PriceTables)),
            };
            if (markup)
            {
                cells.Add(statement.MarkupPercent.ToString(CultureInfo.InvariantCulture));
                cells.Add(Money(line.Charge(statement.MarkupPercent)));
            }
            writer.Write(string.Join(',', cells) + "\r\n");
        }
    }

    /// <summary>An exact amount with at least four decimals (<c>0.1050</c>, <c>0.00000105</c>).</summary>
    public static string Money(decimal value) => value.ToString("0.0000##########################", CultureInfo.InvariantCulture);

    /// <summary>Quotes a cell when needed and defuses spreadsheet formulas.</summary>
    public static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
