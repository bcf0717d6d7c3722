namespace GuardedAI.Docs.Tests.Checking;

/// <summary>
/// One fenced code block of a Markdown file: its language and markers from the info string (<c>```csharp fragment</c>),
/// its text, and the line of the file its first text line is on (1-based), so failures can name file and line.
/// </summary>
public sealed record FencedBlock(string File, int FirstLine, string Language, IReadOnlyList<string> Markers, string Text)
{
    /// <summary>Deliberately partial: not checked (<c>```csharp fragment</c>, <c>```json fragment</c>).</summary>
    public bool IsFragment => Markers.Contains("fragment", StringComparer.OrdinalIgnoreCase);

    /// <summary>Continues the file's previous C# block (<c>```csharp continued</c>): compiled together with it, as one program.</summary>
    public bool Continues => Markers.Contains("continued", StringComparer.OrdinalIgnoreCase);

    public bool IsCSharp => Language is "csharp" or "cs" or "c#";

    public bool IsJson => Language is "json" or "jsonc";

    /// <summary>The line of the opening fence.</summary>
    public int FenceLine => FirstLine - 1;

    public override string ToString() => $"{File}:{FenceLine}";
}
