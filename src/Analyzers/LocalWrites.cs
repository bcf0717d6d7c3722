using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>The values written to a local within the body that declares it.</summary>
internal static class LocalWrites
{
    /// <summary>
    /// The writes of every local of a body, gathered in one walk of it the first time any of its locals is asked about:
    /// a body with many client locals (ten calls, ten locals) is walked once, not once per call. Keyed by the body's root
    /// operation, which the analyzer driver shares between the actions of that body; an entry goes with its tree.
    /// Read-only once built, so concurrent actions share it.
    /// </summary>
    private static readonly ConditionalWeakTable<IOperation, Dictionary<ILocalSymbol, List<IOperation?>>> s_byBody = new();

    private static readonly ConditionalWeakTable<IOperation, Dictionary<ILocalSymbol, List<IOperation?>>>.CreateValueCallback s_collect = Collect;

    /// <summary>Every value written to <paramref name="local"/> in its body, in the body's order; null for a write the analysis cannot follow.</summary>
    public static IReadOnlyList<IOperation?> Find(ILocalSymbol local, IOperation root) =>
        s_byBody.GetValue(root, s_collect).TryGetValue(local, out var writes) ? writes : Array.Empty<IOperation?>();

    private static Dictionary<ILocalSymbol, List<IOperation?>> Collect(IOperation root)
    {
        var writes = new Dictionary<ILocalSymbol, List<IOperation?>>(SymbolEqualityComparer.Default);
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator:
                    var initializer = declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer;
                    if (initializer is not null)
                        Add(writes, declarator.Symbol, initializer.Value);
                    else if (declarator.Parent?.Parent is IForEachLoopOperation)
                        Add(writes, declarator.Symbol, null);
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                    Add(writes, target.Local, assignment.Value);
                    break;
                case ICompoundAssignmentOperation { Target: ILocalReferenceOperation target }:
                    Add(writes, target.Local, null);
                    break;
                case ICoalesceAssignmentOperation { Target: ILocalReferenceOperation target } coalesce:
                    Add(writes, target.Local, coalesce.Value);
                    break;
                case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref, Value: ILocalReferenceOperation reference }:
                    Add(writes, reference.Local, null);
                    break;
                case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol declared }:
                    Add(writes, declared, null);
                    break;
                case IDeconstructionAssignmentOperation deconstruction:
                    // Each local the target mentions, once.
                    var seen = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
                    foreach (var descendant in deconstruction.Target.DescendantsAndSelf())
                    {
                        if (descendant is ILocalReferenceOperation local && seen.Add(local.Local))
                            Add(writes, local.Local, null);
                    }
                    break;
                case IForEachLoopOperation loop:
                    foreach (var local in loop.Locals)
                        Add(writes, local, null);
                    break;
            }
        }
        return writes;
    }

    private static void Add(Dictionary<ILocalSymbol, List<IOperation?>> writes, ILocalSymbol local, IOperation? value)
    {
        if (!writes.TryGetValue(local, out var list))
            writes[local] = list = new List<IOperation?>();
        list.Add(value);
    }
}
