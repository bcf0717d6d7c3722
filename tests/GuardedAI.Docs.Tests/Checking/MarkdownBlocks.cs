namespace GuardedAI.Docs.Tests.Checking;

/// <summary>
/// Reads the fenced code blocks of a Markdown text (CommonMark fences of three or more backticks or tildes, possibly
/// indented, e.g. inside a list). A block without a language is a problem: nothing could say whether it should compile.
/// </summary>
public static class MarkdownBlocks
{
    public static (IReadOnlyList<FencedBlock> Blocks, IReadOnlyList<DocProblem> Problems) Read(string file, string markdown)
    {
        var blocks = new List<FencedBlock>();
        var problems = new List<DocProblem>();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!TryOpen(lines[i], out var indent, out var fence, out var info)) continue;
            var openLine = i + 1;
            var body = new List<string>();
            var closed = false;
            for (i++; i < lines.Length; i++)
            {
                if (IsClose(lines[i], fence)) { closed = true; break; }
                body.Add(Unindent(lines[i], indent));
            }
            if (!closed)
            {
                problems.Add(new DocProblem(file, openLine, "the code block opened here is never closed."));
                break;
            }
            var words = info.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (words.Length == 0)
            {
                problems.Add(new DocProblem(file, openLine,
                    "the code block names no language: write ```csharp (compiled), ```csharp fragment (on purpose partial), ```text for output, ```bash for commands."));
                continue;
            }
            blocks.Add(new FencedBlock(file, openLine + 1, words[0].ToLowerInvariant(), words[1..], string.Join('\n', body)));
        }
        return (blocks, problems);
    }

    private static bool TryOpen(string line, out int indent, out string fence, out string info)
    {
        indent = line.Length - line.TrimStart(' ').Length;
        var rest = line.TrimStart(' ');
        fence = string.Empty;
        info = string.Empty;
        if (rest.Length < 3 || (rest[0] != '`' && rest[0] != '~')) return false;
        var length = 0;
        while (length < rest.Length && rest[length] == rest[0]) length++;
        if (length < 3) return false;
        fence = rest[..length];
        info = rest[length..].Trim();
        return !(rest[0] == '`' && info.Contains('`', StringComparison.Ordinal));
    }

    private static bool IsClose(string line, string fence)
    {
        var rest = line.Trim();
        return rest.Length >= fence.Length && rest.All(c => c == fence[0]);
    }

    private static string Unindent(string line, int indent)
    {
        var remove = 0;
        while (remove < indent && remove < line.Length && line[remove] == ' ') remove++;
        return line[remove..];
    }
}
