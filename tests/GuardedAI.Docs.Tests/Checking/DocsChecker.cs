namespace GuardedAI.Docs.Tests.Checking;

/// <summary>Every check of one Markdown text: fences name a language, C# blocks compile, configuration JSON loads.</summary>
public static class DocsChecker
{
    private static readonly CSharpSnippetChecker s_csharp = new();
    private static readonly JsonConfigurationChecker s_json = new();

    public static async Task<IReadOnlyList<DocProblem>> CheckAsync(string file, string markdown)
    {
        var (blocks, problems) = MarkdownBlocks.Read(file, markdown);
        var all = new List<DocProblem>(problems);
        all.AddRange(s_csharp.Check(blocks));
        all.AddRange(await s_json.CheckAsync(blocks));
        return all;
    }

    /// <summary>One line per problem, <c>file:line: message</c>, sorted, for a failure message a person can act on.</summary>
    public static string Report(IEnumerable<DocProblem> problems) =>
        string.Join(Environment.NewLine, problems.OrderBy(p => p.File, StringComparer.Ordinal).ThenBy(p => p.Line).Select(p => p.ToString()));
}
