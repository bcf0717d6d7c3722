using System.Text.Encodings.Web;
using System.Text.Json;

using Spectre.Console;

namespace GuardedAI.Cli.Output;

/// <summary>Writes one indented JSON document to standard output. Money is written as exact decimals, times as ISO 8601 UTC.</summary>
internal static class Json
{
    public static void Write(TextWriter output, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            body(writer);
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    public static void Time(this Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } v) writer.WriteString(name, v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture));
        else writer.WriteNull(name);
    }

    public static void StringOrNull(this Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }

    public static void NumberOrNull(this Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) writer.WriteNumber(name, Math.Round(v, 6));
        else writer.WriteNull(name);
    }
}
