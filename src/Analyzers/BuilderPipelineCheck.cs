using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using static GuardedAI.Analyzers.OperationNavigation;

namespace GuardedAI.Analyzers;

/// <summary>
/// Whether a ChatClientBuilder-style pipeline is budgeted: it calls UseBudget, uses a factory returning a guard, or
/// wraps a client that is already budgeted. Part of <see cref="ClientOriginEvaluator"/>'s walk (the two recurse into
/// each other with the same depth).
/// </summary>
internal sealed class BuilderPipelineCheck
{
    private readonly GuardSymbols _symbols;
    private readonly ClientOriginEvaluator _evaluator;

    public BuilderPipelineCheck(GuardSymbols symbols, ClientOriginEvaluator evaluator)
    {
        _symbols = symbols;
        _evaluator = evaluator;
    }

    /// <summary>Whether a builder pipeline calls UseBudget, or wraps a client that is already budgeted.</summary>
    public bool HasBudget(IOperation? builder, IOperation root, int depth)
    {
        for (var step = 0; builder is not null && step < 64; step++)
        {
            builder = Unwrap(builder);
            switch (builder)
            {
                case IInvocationOperation invocation:
                    var method = invocation.TargetMethod;
                    if (GuardSymbols.IsUseBudget(method) || IsUseOfGuard(invocation, depth))
                        return true;
                    var receiver = GetReceiver(invocation);
                    if (receiver is null)
                        return false;
                    if (!_symbols.IsBuilderType(Unwrap(receiver).Type))
                    {
                        // client.AsBuilder(): the pipeline wraps `client`.
                        return method.Name == "AsBuilder" && _evaluator.Evaluate(receiver, depth + 1).Kind == OriginKind.Guarded;
                    }
                    builder = receiver;
                    break;

                case IObjectCreationOperation creation:
                    foreach (var argument in creation.Arguments)
                    {
                        if (_symbols.IsChatClientType(argument.Parameter?.Type) && _evaluator.Evaluate(argument.Value, depth + 1).Kind == OriginKind.Guarded)
                            return true;
                    }
                    return false;

                case ILocalReferenceOperation local:
                    return LocalBuilderHasBudget(local.Local, root, depth);

                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary><c>var b = new ChatClientBuilder(x); b.UseBudget("a");</c> — a statement on the builder local counts too.</summary>
    private bool LocalBuilderHasBudget(ILocalSymbol local, IOperation root, int depth)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is IInvocationOperation invocation && GuardSymbols.IsUseBudget(invocation.TargetMethod) &&
                GetReceiver(invocation) is { } receiver && Unwrap(receiver) is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                return true;
            }
        }

        var any = false;
        foreach (var write in LocalWrites.Find(local, root))
        {
            if (write is null || !HasBudget(write, root, depth + 1))
                return false;
            any = true;
        }
        return any;
    }

    /// <summary><c>builder.Use(inner =&gt; new BudgetChatClient(inner, engine, policy))</c>.</summary>
    private bool IsUseOfGuard(IInvocationOperation invocation, int depth)
    {
        if (invocation.TargetMethod.Name != "Use")
            return false;
        foreach (var argument in invocation.Arguments)
        {
            if (Unwrap(argument.Value) is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } &&
                _evaluator.EvaluateReturns(lambda.Body, depth).Kind == OriginKind.Guarded)
            {
                return true;
            }
        }
        return false;
    }
}
