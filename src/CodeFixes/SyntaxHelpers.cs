using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GuardedAI.CodeFixes;

/// <summary>Small syntax edits shared by the fixes.</summary>
internal static class SyntaxHelpers
{
    private const string GuardedAINamespace = "GuardedAI";

    /// <summary>Adds <c>using GuardedAI;</c> unless the file already imports it or lives in that namespace.</summary>
    public static CompilationUnitSyntax EnsureGuardedAIUsing(CompilationUnitSyntax root)
    {
        if (root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax)
                .OfType<UsingDirectiveSyntax>()
                .Any(u => u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name?.ToString() == GuardedAINamespace) ||
            root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax)
                .OfType<BaseNamespaceDeclarationSyntax>()
                .Any(n => n.Name.ToString() == GuardedAINamespace || n.Name.ToString().StartsWith(GuardedAINamespace + ".")))
        {
            return root;
        }

        var endOfLine = GetEndOfLine(root);
        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.IdentifierName(GuardedAINamespace))
            .WithUsingKeyword(SyntaxFactory.Token(SyntaxKind.UsingKeyword).WithTrailingTrivia(SyntaxFactory.Space))
            .WithTrailingTrivia(endOfLine);

        if (root.Usings.Count == 0)
            return root.WithUsings(SyntaxFactory.SingletonList(directive.WithTrailingTrivia(endOfLine, endOfLine)));

        // Keep an alphabetical block alphabetical, System directives first (the .NET convention).
        var index = root.Usings.Count;
        for (var i = 0; i < root.Usings.Count; i++)
        {
            var existing = root.Usings[i];
            if (existing.Alias is null && existing.StaticKeyword.IsKind(SyntaxKind.None) && existing.GlobalKeyword.IsKind(SyntaxKind.None) &&
                existing.Name?.ToString() is { } name && name != "System" && !name.StartsWith("System.", System.StringComparison.Ordinal) &&
                string.CompareOrdinal(name, GuardedAINamespace) > 0)
            {
                index = i;
                break;
            }
        }

        if (index == 0)
        {
            // The first directive carries the file's leading trivia (a header comment): move it to the new first line.
            var first = root.Usings[0];
            directive = directive.WithLeadingTrivia(first.GetLeadingTrivia());
            root = root.ReplaceNode(first, first.WithoutLeadingTrivia());
        }
        return root.WithUsings(root.Usings.Insert(index, directive));
    }

    public static SyntaxTrivia GetEndOfLine(SyntaxNode root) =>
        root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { } trivia && trivia.IsKind(SyntaxKind.EndOfLineTrivia)
            ? trivia
            : SyntaxFactory.LineFeed;
}
