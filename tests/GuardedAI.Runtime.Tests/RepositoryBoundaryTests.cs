using System.Text.RegularExpressions;

namespace GuardedAI.Tests;

/// <summary>A fresh clone with nothing beside it must pass <c>dotnet test</c>: no test reads a file outside the repository.</summary>
public partial class RepositoryBoundaryTests
{
    [Fact]
    public void No_test_names_a_path_outside_the_repository()
    {
        var root = RepositoryRoot();
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "tests"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")) continue;
            if (Path.GetFileName(file) == "RepositoryBoundaryTests.cs") continue; // this file spells the patterns it looks for
            var text = File.ReadAllText(file);
            foreach (Match literal in PathLiteral().Matches(text))
            {
                // Test binaries run five levels below the repository root (tests/<project>/bin/<config>/<tfm>): six or more
                // "../" from there leave the repository; "shared/data" is the workspace folder beside it.
                var ups = Regex.Matches(literal.Value, @"\.\./").Count;
                if (ups >= 6 || literal.Value.Contains("shared/data", StringComparison.Ordinal))
                    offenders.Add($"{Path.GetRelativePath(root, file)}: {literal.Value}");
            }
        }
        Assert.Empty(offenders);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GuardedAI.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("The test does not run inside the repository.");
    }

    [GeneratedRegex("\"[^\"\\n]*(\\.\\./|shared/data)[^\"\\n]*\"")]
    private static partial Regex PathLiteral();
}
