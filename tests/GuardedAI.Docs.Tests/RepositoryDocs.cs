namespace GuardedAI.Docs.Tests;

/// <summary>The repository the tests run in, and the Markdown files whose blocks are checked.</summary>
internal static class RepositoryDocs
{
    public static string Root { get; } = FindRoot();

    /// <summary>README.md and every Markdown file under docs/, as repository-relative paths with forward slashes.</summary>
    public static IReadOnlyList<string> Files() =>
        new[] { "README.md" }
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/')))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GuardedAI.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("GuardedAI.sln not found above the test's directory.");
    }
}
