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
using Microsoft.CodeAnalysis.Text;

namespace GuardedAI.CodeFixes;

/// <summary>
/// GAI001 fix: inserts <c>.UseBudget("default")</c> right before the <c>.Build(...)</c> (or <c>.BuildAIAgent(...)</c>) of
/// the ChatClientBuilder pipeline the client or agent comes from (the analyzer passes those Build calls as additional locations), and adds <c>using GuardedAI;</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddUseBudgetCodeFixProvider)), Shared]
public sealed class AddUseBudgetCodeFixProvider : CodeFixProvider
{
    private const string Title = "Add .UseBudget(\"default\") to the client's pipeline";
    private const string EquivalenceKey = "GAI001.AddUseBudget";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UnguardedLlmCall);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(UnguardedCallSession.CanAddUseBudgetProperty) || diagnostic.AdditionalLocations.Count == 0)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => AddUseBudgetAsync(context.Document.Project.Solution, diagnostic.AdditionalLocations, ct), EquivalenceKey),
                diagnostic);
        }
        return Task.CompletedTask;
    }

    /// <summary>The Build calls may be in other files (a field assigned in another part of a partial class).</summary>
    private static async Task<Solution> AddUseBudgetAsync(Solution solution, IEnumerable<Location> builds, CancellationToken cancellationToken)
    {
        foreach (var group in builds.Where(l => l.IsInSource).GroupBy(l => l.SourceTree!))
        {
            var document = solution.GetDocument(group.Key);
            if (document is null)
                continue;
            var updated = await RewriteAsync(document, group.Select(l => l.SourceSpan), cancellationToken).ConfigureAwait(false);
            solution = updated.Project.Solution;
        }
        return solution;
    }

    /// <summary>Fix-all: one edit per distinct Build call, however many calls share it.</summary>
    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var tree = await document.GetSyntaxTreeAsync(context.CancellationToken).ConfigureAwait(false);
        var spans = diagnostics
            .Where(d => d.Properties.ContainsKey(UnguardedCallSession.CanAddUseBudgetProperty))
            .SelectMany(d => d.AdditionalLocations)
            .Where(l => l.SourceTree == tree)
            .Select(l => l.SourceSpan);
        return await RewriteAsync(document, spans, context.CancellationToken).ConfigureAwait(false);
    }

    private static async Task<Document> RewriteAsync(Document document, IEnumerable<TextSpan> buildSpans, CancellationToken cancellationToken)
    {
        if (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root)
            return document;

        var targets = buildSpans.Distinct()
            .Select(span => root.FindNode(span, getInnermostNodeForTie: true))
            .Select(node => node as MemberAccessExpressionSyntax ?? node.AncestorsAndSelf().OfType<MemberAccessExpressionSyntax>().FirstOrDefault())
            .OfType<MemberAccessExpressionSyntax>()
            .Where(node => node.Name.Identifier.ValueText.StartsWith("Build", System.StringComparison.Ordinal)) // Build, BuildAIAgent
            .Distinct()
            .ToList();
        if (targets.Count == 0)
            return document;

        root = root.ReplaceNodes(targets, (_, rewritten) => InsertUseBudget(rewritten));
        return document.WithSyntaxRoot(SyntaxHelpers.EnsureGuardedAIUsing(root));
    }

    /// <summary>
    /// <c>pipeline.Build</c> becomes <c>pipeline.UseBudget("default").Build</c>; in a chain written one call a line,
    /// the new call gets its own line with the same indentation as <c>.Build</c>.
    /// </summary>
    private static MemberAccessExpressionSyntax InsertUseBudget(MemberAccessExpressionSyntax build)
    {
        var receiver = build.Expression;
        var useBudget = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    receiver,
                    SyntaxFactory.Token(SyntaxKind.DotToken).WithLeadingTrivia(build.OperatorToken.LeadingTrivia),
                    SyntaxFactory.IdentifierName("UseBudget")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("default"))))))
            .WithTrailingTrivia(receiver.GetTrailingTrivia());
        return build.WithExpression(useBudget);
    }
}
