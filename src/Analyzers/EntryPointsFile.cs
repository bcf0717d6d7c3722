using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GuardedAI.Analyzers;

/// <summary>The project's <c>GuardedAI.EntryPoints.txt</c>: more methods that call a model, named by documentation-comment id.</summary>
internal static class EntryPointsFile
{
    /// <summary>
    /// Reads documentation-comment ids, one a line, like BannedSymbols.txt: <c>M:Ns.Type.Method(System.String)</c> for one
    /// overload, <c>M:Ns.Type.Method</c> for all overloads, <c>T:Ns.Type</c> for every method of a type. Text after
    /// <c>;</c> and lines starting with <c>//</c> or <c>#</c> are comments.
    /// </summary>
    public static void AddTo(
        Compilation compilation, SourceText text, HashSet<string> names, HashSet<IMethodSymbol> methods,
        ImmutableArray<INamedTypeSymbol>.Builder interfaces)
    {
        foreach (var line in text.Lines)
        {
            var entry = line.ToString();
            var semicolon = entry.IndexOf(';');
            if (semicolon >= 0)
                entry = entry.Substring(0, semicolon);
            entry = entry.Trim();
            if (entry.Length == 0 || entry.StartsWith("//", StringComparison.Ordinal) || entry.StartsWith("#", StringComparison.Ordinal))
                continue;

            var symbols = DocumentationCommentId.GetSymbolsForDeclarationId(entry, compilation);
            if (symbols.IsEmpty && entry.StartsWith("M:", StringComparison.Ordinal) && entry.IndexOf('(') < 0)
            {
                // "M:Ns.Type.Method" with no parameter list: every overload.
                var lastDot = entry.LastIndexOf('.');
                if (lastDot > 2 && DocumentationCommentId.GetFirstSymbolForDeclarationId("T:" + entry.Substring(2, lastDot - 2), compilation) is INamedTypeSymbol owner)
                    LlmEntryPoints.AddMethods(owner, entry.Substring(lastDot + 1), names, methods);
                continue;
            }

            foreach (var symbol in symbols)
            {
                switch (symbol)
                {
                    case IMethodSymbol method:
                        names.Add(method.Name);
                        methods.Add(method.OriginalDefinition);
                        if (method.ContainingType.TypeKind == TypeKind.Interface && !interfaces.Contains(method.ContainingType))
                            interfaces.Add(method.ContainingType);
                        break;
                    case INamedTypeSymbol type:
                        foreach (var member in type.GetMembers())
                        {
                            if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } typeMethod)
                            {
                                names.Add(typeMethod.Name);
                                methods.Add(typeMethod.OriginalDefinition);
                            }
                        }
                        if (type.TypeKind == TypeKind.Interface && !interfaces.Contains(type))
                            interfaces.Add(type);
                        break;
                }
            }
        }
    }
}
