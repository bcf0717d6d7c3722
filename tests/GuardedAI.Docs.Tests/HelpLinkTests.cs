using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Docs.Tests;

/// <summary>
/// Every diagnostic's help link leads to a page GuardedAI ships (docs/diagnostics/&lt;id&gt;.md, in the repository and
/// the package) that is about that diagnostic: a link to a site that does not exist helps nobody.
/// </summary>
public sealed class HelpLinkTests
{
    /// <summary>Every descriptor any analyzer of the package can report (their SupportedDiagnostics).</summary>
    private static IReadOnlyList<DiagnosticDescriptor> Descriptors() =>
        typeof(GuardedAI.Analyzers.DiagnosticIds).Assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .SelectMany(t => ((DiagnosticAnalyzer)Activator.CreateInstance(t, nonPublic: true)!).SupportedDiagnostics)
            .DistinctBy(d => d.Id)
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void Every_descriptors_help_link_is_a_page_in_the_repository_about_that_diagnostic()
    {
        var descriptors = Descriptors();
        Assert.True(descriptors.Count >= 11, $"only {descriptors.Count} descriptors found");
        var problems = new List<string>();
        foreach (var descriptor in descriptors)
        {
            var link = descriptor.HelpLinkUri;
            var path = Path.Combine(RepositoryDocs.Root, link);
            if (link != $"docs/diagnostics/{descriptor.Id}.md") problems.Add($"{descriptor.Id}: help link '{link}' is not docs/diagnostics/{descriptor.Id}.md");
            else if (!File.Exists(path)) problems.Add($"{descriptor.Id}: help link '{link}' names no file of the repository");
            else if (!File.ReadLines(path).First().StartsWith($"# {descriptor.Id}", StringComparison.Ordinal)) problems.Add($"{descriptor.Id}: '{link}' does not start with '# {descriptor.Id}'");
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_package_that_carries_the_analyzers_ships_the_pages_at_the_same_path()
    {
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(RepositoryDocs.Root, "src", "Runtime", "GuardedAI.Runtime.csproj"));
        Assert.Contains(project.Descendants("None"), e =>
            (string?)e.Attribute("Include") == "../../docs/diagnostics/*.md" && (string?)e.Attribute("Pack") == "true"
            && (string?)e.Attribute("PackagePath") == "docs/diagnostics");
        Assert.Contains(project.Descendants("ProjectReference"), e => ((string?)e.Attribute("Include"))?.EndsWith("GuardedAI.Analyzers.csproj", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void The_release_tracking_files_link_to_pages_that_exist()
    {
        var analyzers = Path.Combine(RepositoryDocs.Root, "src", "Analyzers");
        var links = Directory.GetFiles(analyzers, "AnalyzerReleases.*.md")
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"\[Documentation\]\((?<link>[^)]+)\)").Select(m => m.Groups["link"].Value))
            .ToList();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.True(File.Exists(Path.GetFullPath(Path.Combine(analyzers, link))), $"'{link}' (relative to src/Analyzers) does not exist"));
    }

    [Fact]
    public void The_readme_table_and_docs_name_no_help_site()
    {
        // The old address was a site the project never had.
        foreach (var file in RepositoryDocs.Files())
        {
            Assert.DoesNotContain("github.com/guardedai/guardedai", RepositoryDocs.Read(file), StringComparison.OrdinalIgnoreCase);
        }
    }
}
