using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GuardedAI.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GuardedAI.CodeFixes;

/// <summary>GAI004 fix: adds <c>partial</c> to an <c>[LlmBudget]</c> interface.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeInterfacePartialCodeFixProvider)), Shared]
public sealed class MakeInterfacePartialCodeFixProvider : CodeFixProvider
{
    private const string Title = "Make the interface partial";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NonPartialBudgetInterface);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            var declaration = root?.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<InterfaceDeclarationSyntax>().FirstOrDefault();
            // GAI004 is also reported on a non-partial containing type; "Make the interface partial" is only offered
            // for the interface's own diagnostic (the containing types need `partial` by hand).
            if (declaration is null || declaration.Identifier.Span != diagnostic.Location.SourceSpan)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => MakePartialAsync(context.Document, declaration, ct), nameof(MakeInterfacePartialCodeFixProvider)),
                diagnostic);
        }
    }

    private static async Task<Document> MakePartialAsync(Document document, InterfaceDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            return document;

        InterfaceDeclarationSyntax updated;
        if (declaration.Modifiers.Count == 0)
        {
            // `partial` takes the keyword's place at the start of the line, indentation included.
            var keyword = declaration.Keyword;
            updated = declaration
                .WithKeyword(keyword.WithLeadingTrivia())
                .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space))));
        }
        else
        {
            // C# requires `partial` right before `interface`.
            updated = declaration.WithModifiers(declaration.Modifiers.Add(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space)));
        }
        return document.WithSyntaxRoot(root.ReplaceNode(declaration, updated));
    }
}
