using Spectre.Console;

namespace GuardedAI.Cli.Output;

/// <summary>RFC 4180 rows (CRLF line ends, quotes doubled) with spreadsheet formulas neutralised (see <see cref="UsageCsv.Cell"/>).</summary>
internal sealed class Csv(TextWriter output)
{
    public void Row(params string?[] cells) => output.Write(string.Join(',', cells.Select(c => UsageCsv.Cell(c ?? ""))) + "\r\n");

    /// <summary>A row of numbers and fixed words that need no neutralising (a negative number must stay a number).</summary>
    public void RawRow(params string[] cells) => output.Write(string.Join(',', cells) + "\r\n");
}
