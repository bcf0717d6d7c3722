using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>The values written to a local within the body that declares it.</summary>
internal static class LocalWrites
{
    /// <summary>Every value written to <paramref name="local"/> in its body; null for a write the analysis cannot follow.</summary>
    public static IEnumerable<IOperation?> Find(ILocalSymbol local, IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                    var initializer = declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer;
                    if (initializer is not null)
                        yield return initializer.Value;
                    else if (declarator.Parent?.Parent is IForEachLoopOperation)
                        yield return null;
                    break;
                case ISimpleAssignmentOperation assignment when IsLocal(assignment.Target, local):
                    yield return assignment.Value;
                    break;
                case ICompoundAssignmentOperation compound when IsLocal(compound.Target, local):
                    yield return null;
                    break;
                case ICoalesceAssignmentOperation coalesce when IsLocal(coalesce.Target, local):
                    yield return coalesce.Value;
                    break;
                case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } argument when IsLocal(argument.Value, local):
                    yield return null;
                    break;
                case IDeclarationPatternOperation pattern when SymbolEqualityComparer.Default.Equals(pattern.DeclaredSymbol, local):
                    yield return null;
                    break;
                case IDeconstructionAssignmentOperation deconstruction when ContainsLocal(deconstruction.Target, local):
                    yield return null;
                    break;
                case IForEachLoopOperation loop when loop.Locals.Contains(local, SymbolEqualityComparer.Default):
                    yield return null;
                    break;
            }
        }
    }

    private static bool IsLocal(IOperation? operation, ILocalSymbol local) =>
        operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);

    private static bool ContainsLocal(IOperation operation, ILocalSymbol local)
    {
        foreach (var descendant in operation.DescendantsAndSelf())
        {
            if (IsLocal(descendant, local))
                return true;
        }
        return false;
    }
}
