using System.Text;

namespace GuardedAI.Cli.Tests.Support;

/// <summary>
/// A strict RFC 4180 reader: records end in CRLF; a field is either plain (no comma, quote, CR or LF) or quoted with
/// inner quotes doubled. Anything else — a bare LF, a quote inside a plain field, text after a closing quote, an
/// unterminated quote, rows of different widths — throws, so a test parsing a file proves the file is RFC 4180.
/// </summary>
public static class Rfc4180
{
    public static List<List<string>> Parse(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new FormatException($"unterminated quoted field in record {records.Count + 1}");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
                if (i < text.Length && text[i] != ',' && text[i] != '\r') throw new FormatException($"text after a closing quote in record {records.Count + 1}");
            }
            else
            {
                while (i < text.Length && text[i] != ',' && text[i] != '\r')
                {
                    if (text[i] is '"' or '\n') throw new FormatException($"a bare quote or line feed in a plain field of record {records.Count + 1}");
                    field.Append(text[i++]);
                }
            }
            record.Add(field.ToString());
            field.Clear();
            if (i < text.Length && text[i] == ',') { i++; continue; }
            if (i + 1 >= text.Length || text[i] != '\r' || text[i + 1] != '\n') throw new FormatException($"record {records.Count + 1} does not end in CRLF");
            i += 2;
            records.Add(record);
            record = [];
        }
        if (records.Count > 0 && records.Any(r => r.Count != records[0].Count)) throw new FormatException("records of different widths");
        return records;
    }

    /// <summary>The records after the header, as dictionaries by header name.</summary>
    public static (string[] Header, List<Dictionary<string, string>> Rows) Table(string text)
    {
        var records = Parse(text);
        var header = records[0].ToArray();
        return (header, records.Skip(1).Select(r => header.Select((h, i) => (h, r[i])).ToDictionary(p => p.h, p => p.Item2)).ToList());
    }
}
