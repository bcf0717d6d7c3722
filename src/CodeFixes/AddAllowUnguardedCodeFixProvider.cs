using System.Collections.Generic;
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

/// <summary>
/// GAI001 fix: marks the enclosing member <c>[AllowUnguardedLlmCalls("TODO: ...")]</c>. The placeholder text is
/// deliberate: the reviewer should see that a justification is still owed.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddAllowUnguardedCodeFixProvider)), Shared]
public sealed class AddAllowUnguardedCodeFixProvider : CodeFixProvider
{
    /// <summary>The justification the fix writes.</summary>
    public const string PlaceholderJustification = "TODO: explain why this call may bypass the budget";

    private const string Title = "Allow unguarded LLM calls in this member";
    private const string EquivalenceKey = "GAI001.AllowUnguarded";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UnguardedLlmCall);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (FindTarget(root, diagnostic) is null)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(Title, async ct => await FixAsync(context.Document, new[] { diagnostic }, ct).ConfigureAwait(false) ?? context.Document, EquivalenceKey),
                diagnostic);
        }
    }

    private static Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics) =>
        FixAsync(document, diagnostics, context.CancellationToken);

    private static async Task<Document?> FixAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        if (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root)
            return document;

        var targets = diagnostics.Select(d => FindTarget(root, d)).OfType<MemberDeclarationSyntax>().Distinct().ToList();
        if (targets.Count == 0)
            return document;

        var endOfLine = SyntaxHelpers.GetEndOfLine(root);
        root = root.ReplaceNodes(targets, (_, member) => AddAttribute(member, endOfLine));
        return document.WithSyntaxRoot(SyntaxHelpers.EnsureGuardedAIUsing(root));
    }

    /// <summary>The method, constructor, property or field around the call; none for top-level statements.</summary>
    private static MemberDeclarationSyntax? FindTarget(SyntaxNode root, Diagnostic diagnostic)
    {
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        foreach (var ancestor in node.AncestorsAndSelf())
        {
            switch (ancestor)
            {
                case GlobalStatementSyntax:
                    return null;
                case BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax or FieldDeclarationSyntax:
                    return (MemberDeclarationSyntax)ancestor;
                case BaseTypeDeclarationSyntax:
                    return null;
            }
        }
        return null;
    }

    private static MemberDeclarationSyntax AddAttribute(MemberDeclarationSyntax member, SyntaxTrivia endOfLine)
    {
        var leading = member.GetLeadingTrivia();
        var indentation = leading.Count > 0 && leading.Last().IsKind(SyntaxKind.WhitespaceTrivia)
            ? SyntaxFactory.TriviaList(leading.Last())
            : SyntaxFactory.TriviaList();

        var attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.Attribute(
                    SyntaxFactory.IdentifierName("AllowUnguardedLlmCalls"),
                    SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(
                            SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(PlaceholderJustification))))))))
            .WithTrailingTrivia(endOfLine);

        if (member.AttributeLists.Count > 0)
            return member.AddAttributeLists(attribute.WithLeadingTrivia(indentation));

        // The member's leading trivia (comments, blank lines) moves in front of the new attribute.
        return member.WithLeadingTrivia(indentation).AddAttributeLists(attribute.WithLeadingTrivia(leading));
    }
}
