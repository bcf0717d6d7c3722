namespace GuardedAI.Packaging.Tests;

/// <summary>The repository's README, read as the packaging test follows it.</summary>
internal static class Readme
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The fenced blocks of one README section (from its heading to the next <c>## </c> heading), in order,
    /// as (info string, text).</summary>
    public static IReadOnlyList<(string Info, string Text)> Blocks(string heading)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot, "README.md"));
        var start = Array.FindIndex(lines, l => l.Trim() == heading);
        Assert.True(start >= 0, $"README.md has no section '{heading}'");
        var blocks = new List<(string, string)>();
        for (var i = start + 1; i < lines.Length && !lines[i].StartsWith("## ", StringComparison.Ordinal); i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            var info = lines[i][3..].Trim();
            var body = new List<string>();
            for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++) body.Add(lines[i]);
            blocks.Add((info, string.Join('\n', body) + "\n"));
        }
        return blocks;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GuardedAI.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No GuardedAI.sln above {AppContext.BaseDirectory}");
    }
}
