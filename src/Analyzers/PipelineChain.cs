using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GuardedAI.Schema;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace GuardedAI.Analyzers;

/// <summary>What a call in a <c>ChatClientBuilder</c> chain adds to the pipeline, as far as GAI011 cares.</summary>
internal enum PipelineLink
{
    /// <summary>Anything else (logging, telemetry, caching, <c>AsBuilder()</c>, …).</summary>
    Other,

    /// <summary>GuardedAI's <c>UseBudget(...)</c>: a <c>BudgetChatClient</c>.</summary>
    Budget,

    /// <summary>A client that calls the model in a loop: <c>UseFunctionInvocation()</c>, or <c>Use(...)</c> with a
    /// factory that creates a <c>FunctionInvokingChatClient</c> or a type derived from it.</summary>
    Loop,
}

/// <summary>
/// Reads fluent <c>ChatClientBuilder</c> chains (<c>new ChatClientBuilder(inner).UseBudget(...).UseFunctionInvocation()</c>,
/// <c>inner.AsBuilder()…</c>, <c>services.AddChatClient(inner)…</c>). Microsoft.Extensions.AI builds the pipeline so
/// that the first <c>Use…</c> call is the outermost client and the last one sits next to the provider.
/// </summary>
internal sealed class PipelineChain
{
    private const string FunctionInvokingExtensionsName = "Microsoft.Extensions.AI.FunctionInvokingChatClientBuilderExtensions";
    private const string FunctionInvokingChatClientName = "Microsoft.Extensions.AI.FunctionInvokingChatClient";
    private const string ChatClientBuilderName = "Microsoft.Extensions.AI.ChatClientBuilder";

    private readonly INamedTypeSymbol _builder;
    private readonly INamedTypeSymbol _budgetExtensions;
    private readonly INamedTypeSymbol? _functionInvokingExtensions;
    private readonly INamedTypeSymbol? _functionInvokingClient;

    private PipelineChain(INamedTypeSymbol builder, INamedTypeSymbol budgetExtensions, INamedTypeSymbol? functionInvokingExtensions, INamedTypeSymbol? functionInvokingClient)
    {
        _builder = builder;
        _budgetExtensions = budgetExtensions;
        _functionInvokingExtensions = functionInvokingExtensions;
        _functionInvokingClient = functionInvokingClient;
    }

    /// <summary>Null when the compilation has no ChatClientBuilder or no GuardedAI: then no chain can be wrong.</summary>
    public static PipelineChain? Create(Compilation compilation) =>
        compilation.GetTypeByMetadataName(ChatClientBuilderName) is { } builder &&
        compilation.GetTypeByMetadataName(RuntimeTypeNames.BudgetChatClientBuilderExtensions) is { } budget
            ? new PipelineChain(builder, budget,
                compilation.GetTypeByMetadataName(FunctionInvokingExtensionsName),
                compilation.GetTypeByMetadataName(FunctionInvokingChatClientName))
            : null;

    /// <summary>The names <see cref="PipelineLink.Loop"/> calls have: <see cref="Classify"/> says which of them really are.</summary>
    public static bool MayMakeLoop(string methodName) => methodName is "UseFunctionInvocation" or "Use";

    /// <summary>The receiver of a <c>receiver.Name(...)</c> call, or null for any other shape (<c>?.</c>, a plain call).</summary>
    public static ExpressionSyntax? Receiver(InvocationExpressionSyntax invocation) =>
        invocation.Expression is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } member ? member.Expression : null;

    /// <summary>From the method's name to the closing parenthesis: <c>UseFunctionInvocation()</c> in a long chain.</summary>
    public static Location CallLocation(InvocationExpressionSyntax invocation) =>
        invocation.Expression is MemberAccessExpressionSyntax member
            ? Location.Create(invocation.SyntaxTree, TextSpan.FromBounds(member.Name.SpanStart, invocation.Span.End))
            : invocation.GetLocation();

    /// <summary>True when the call returns a <c>ChatClientBuilder</c>: it is a link of a chain.</summary>
    public bool IsLink(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken) =>
        Receiver(invocation) is not null &&
        model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method &&
        SymbolEqualityComparer.Default.Equals(method.ReturnType, _builder);

    public PipelineLink Classify(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        if (Receiver(invocation) is null || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method ||
            !SymbolEqualityComparer.Default.Equals(method.ReturnType, _builder))
        {
            return PipelineLink.Other;
        }

        var definition = method.ReducedFrom ?? method;
        if (SymbolEqualityComparer.Default.Equals(definition.ContainingType, _budgetExtensions) && definition.Name == "UseBudget")
            return PipelineLink.Budget;
        if (_functionInvokingExtensions is not null && SymbolEqualityComparer.Default.Equals(definition.ContainingType, _functionInvokingExtensions))
            return PipelineLink.Loop;
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, _builder) && method.Name == "Use" && CreatesFunctionInvokingClient(invocation, model, cancellationToken))
            return PipelineLink.Loop;
        return PipelineLink.Other;
    }

    /// <summary>
    /// The links below <paramref name="invocation"/> in the same chain, nearest first (so the last one is the earliest
    /// call), stopping at the first receiver that is not a chain link.
    /// </summary>
    public IEnumerable<InvocationExpressionSyntax> LinksBelow(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        var receiver = Receiver(invocation);
        while (receiver is InvocationExpressionSyntax link && IsLink(link, model, cancellationToken))
        {
            yield return link;
            receiver = Receiver(link);
        }
    }

    /// <summary>The outermost link of the chain <paramref name="invocation"/> is part of (the call before <c>.Build()</c>).</summary>
    public InvocationExpressionSyntax Top(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        var top = invocation;
        while (top.Parent is MemberAccessExpressionSyntax member && member.Expression == top &&
            member.Parent is InvocationExpressionSyntax next && next.Expression == member && IsLink(next, model, cancellationToken))
        {
            top = next;
        }
        return top;
    }

    /// <summary><c>Use(inner => new FunctionInvokingChatClient(inner))</c> or a subclass, in an expression or a block body.</summary>
    private bool CreatesFunctionInvokingClient(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        if (_functionInvokingClient is null)
            return false;
        foreach (var argument in invocation.ArgumentList.Arguments)
        {
            if (argument.Expression is not AnonymousFunctionExpressionSyntax lambda ||
                model.GetOperation(lambda, cancellationToken) is not IAnonymousFunctionOperation function)
            {
                continue;
            }
            foreach (var returned in function.Body.Descendants().OfType<IReturnOperation>())
            {
                var value = returned.ReturnedValue;
                while (value is IConversionOperation conversion)
                    value = conversion.Operand;
                if (value is IObjectCreationOperation { Type: INamedTypeSymbol created } && DerivesFromFunctionInvokingClient(created))
                    return true;
            }
        }
        return false;
    }

    private bool DerivesFromFunctionInvokingClient(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, _functionInvokingClient))
                return true;
        }
        return false;
    }
}
