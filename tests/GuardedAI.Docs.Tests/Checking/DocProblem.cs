namespace GuardedAI.Docs.Tests.Checking;

/// <summary>Something wrong in a doc, at a line of a file (repository-relative path, 1-based line): what a failure names.</summary>
public sealed record DocProblem(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}
