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
/// GAI011 fix: moves every loop-making call that comes after the chain's first <c>UseBudget</c> to just before it,
/// keeping their order and the order of every other call: <c>.UseBudget(b).UseLogging().UseFunctionInvocation()</c>
/// becomes <c>.UseFunctionInvocation().UseBudget(b).UseLogging()</c>. In a chain written one call a line whole lines
/// move (comments included); in any other layout each position keeps its dot, line break and indentation.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MoveFunctionInvocationCodeFixProvider)), Shared]
public sealed class MoveFunctionInvocationCodeFixProvider : CodeFixProvider
{
    private const string Title = "Move the tool loop before UseBudget (outside the budget guard)";
    private const string EquivalenceKey = "GAI011.MoveBeforeUseBudget";

    private static readonly SyntaxAnnotation s_chain = new("GAI011.Chain");
    private static readonly SyntaxAnnotation s_budget = new("GAI011.Budget");
    private static readonly SyntaxAnnotation s_loop = new("GAI011.Loop");

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.FunctionInvocationBeneathBudget);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => RewriteAsync(context.Document, new[] { diagnostic.Location.SourceSpan }, ct), EquivalenceKey),
                diagnostic);
        }
        return Task.CompletedTask;
    }

    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics) =>
        await RewriteAsync(document, diagnostics.Select(d => d.Location.SourceSpan), context.CancellationToken).ConfigureAwait(false);

    private static async Task<Document> RewriteAsync(Document document, IEnumerable<TextSpan> loopSpans, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || PipelineChain.Create(model.Compilation) is not { } chain)
            return document;

        // 1. With the semantic model, mark each affected chain and what each of its calls adds.
        var marks = new Dictionary<SyntaxNode, SyntaxAnnotation>();
        foreach (var span in loopSpans.Distinct())
        {
            var loop = root.FindNode(span, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>()
                .FirstOrDefault(i => PipelineChain.CallLocation(i).SourceSpan == span);
            if (loop is null)
                continue;
            var top = chain.Top(loop, model, cancellationToken);
            marks[top] = s_chain;
            foreach (var link in new[] { top }.Concat(chain.LinksBelow(top, model, cancellationToken)))
            {
                var kind = chain.Classify(link, model, cancellationToken);
                if (kind != PipelineLink.Other)
                    marks[((MemberAccessExpressionSyntax)link.Expression).Name] = kind == PipelineLink.Budget ? s_budget : s_loop;
            }
        }
        if (marks.Count == 0)
            return document;
        root = root.ReplaceNodes(marks.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(marks[original]));

        // 2. Without it, reorder one chain at a time, innermost first (a chain may sit inside another's lambda).
        while (root.GetAnnotatedNodes(s_chain).OfType<InvocationExpressionSyntax>()
                   .FirstOrDefault(n => !n.DescendantNodes().Any(d => d.HasAnnotation(s_chain))) is { } next)
        {
            root = root.ReplaceNode(next, Reorder(next));
        }
        return document.WithSyntaxRoot(root);
    }

    /// <summary>The chain with its loop-making calls moved before its first UseBudget; the returned node carries no chain mark.</summary>
    private static ExpressionSyntax Reorder(InvocationExpressionSyntax top)
    {
        var links = new List<InvocationExpressionSyntax>();
        ExpressionSyntax receiver = top;
        while (receiver is InvocationExpressionSyntax invocation && PipelineChain.Receiver(invocation) is { } inner)
        {
            links.Add(invocation);
            receiver = inner;
        }
        links.Reverse(); // earliest call first

        var first = links.FindIndex(l => Name(l).HasAnnotation(s_budget));
        var moved = first < 0 ? new List<int>() : Enumerable.Range(first + 1, links.Count - first - 1).Where(i => Name(links[i]).HasAnnotation(s_loop)).ToList();
        if (moved.Count == 0)
            return top.WithoutAnnotations(s_chain);

        var order = Enumerable.Range(0, first).Concat(moved).Concat(Enumerable.Range(first, links.Count - first).Except(moved)).ToList();

        // One call a line from the first UseBudget on: whole lines move, so a comment stays with its call. Otherwise each
        // position keeps its dot and trivia and only the calls change places, so a mixed layout keeps its shape.
        var byLine = EndsLine(first == 0 ? receiver.GetLastToken() : links[first - 1].ArgumentList.CloseParenToken) &&
            Enumerable.Range(first, links.Count - first).All(i => EndsLine(links[i].ArgumentList.CloseParenToken));
        var rebuilt = receiver;
        for (var slot = 0; slot < links.Count; slot++)
        {
            var call = links[order[slot]];
            var place = byLine ? call : links[slot];
            var arguments = call.ArgumentList.WithCloseParenToken(
                call.ArgumentList.CloseParenToken.WithTrailingTrivia(place.ArgumentList.CloseParenToken.TrailingTrivia));
            rebuilt = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, rebuilt, ((MemberAccessExpressionSyntax)place.Expression).OperatorToken, Name(call)),
                arguments);
        }
        return rebuilt;
    }

    private static bool EndsLine(SyntaxToken token) => token.TrailingTrivia.Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia));

    private static SimpleNameSyntax Name(InvocationExpressionSyntax link) => ((MemberAccessExpressionSyntax)link.Expression).Name;
}
