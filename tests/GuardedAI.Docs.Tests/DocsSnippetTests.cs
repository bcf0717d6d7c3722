using GuardedAI.Docs.Tests.Checking;

namespace GuardedAI.Docs.Tests;

/// <summary>
/// The README and docs/ as a reader meets them: every C# block compiles as written (or is marked
/// <c>```csharp fragment</c> on purpose), every configuration JSON loads through AddGuardedAI, every block names its
/// language. A failure lists every problem as <c>file:line: message</c>.
/// </summary>
public sealed class DocsSnippetTests
{
    [Fact]
    public async Task Every_block_of_the_readme_and_docs_compiles_or_loads()
    {
        var problems = new List<DocProblem>();
        foreach (var file in RepositoryDocs.Files())
        {
            problems.AddRange(await DocsChecker.CheckAsync(file, RepositoryDocs.Read(file)));
        }
        Assert.True(problems.Count == 0,
            $"{problems.Count} problem(s) in the docs' code blocks (mark a deliberately partial block ```csharp fragment):{Environment.NewLine}{DocsChecker.Report(problems)}");
    }

    [Fact]
    public void The_docs_hold_compiled_csharp_and_loaded_configuration()
    {
        // Guards the check itself: if the reader found nothing to compile or load, it would pass vacuously.
        var blocks = RepositoryDocs.Files().SelectMany(f => MarkdownBlocks.Read(f, RepositoryDocs.Read(f)).Blocks).ToList();
        Assert.True(blocks.Count(b => b.IsCSharp && !b.IsFragment) >= 10, "fewer than 10 compiled C# blocks found");
        Assert.Contains(blocks, b => b.IsJson && !b.IsFragment && b.Text.Contains("\"GuardedAI\"", StringComparison.Ordinal));
    }
}
