using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>Moves around an operation tree: a call's receiver, a value under its conversions, the body that holds an operation.</summary>
internal static class OperationNavigation
{
    /// <summary>The receiver of an instance call, or the <c>this</c> argument of an extension call in either form.</summary>
    public static IOperation? GetReceiver(IInvocationOperation invocation)
    {
        if (invocation.Instance is not null)
            return invocation.Instance;
        if (!invocation.TargetMethod.IsExtensionMethod)
            return null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == 0)
                return argument.Value;
        }
        return null;
    }

    public static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            if (operation is IConversionOperation conversion)
                operation = conversion.Operand;
            else if (operation is IParenthesizedOperation parenthesized)
                operation = parenthesized.Operand;
            else
                return operation;
        }
    }

    /// <summary>The outermost operation of the body that holds <paramref name="operation"/> (lambdas and local functions included).</summary>
    public static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null)
            operation = operation.Parent;
        return operation;
    }

    public static IEnumerable<IOperation> DescendantsSkippingNestedFunctions(IOperation root)
    {
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            yield return current;
            foreach (var child in current.ChildOperations)
            {
                if (child is not IAnonymousFunctionOperation and not ILocalFunctionOperation)
                    stack.Push(child);
            }
        }
    }
}
