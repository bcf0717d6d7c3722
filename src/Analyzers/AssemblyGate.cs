using System;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>
/// The first question each analyzer asks at compilation start: could any of its types be here at all? Answered from the
/// names of the referenced assemblies (and the compilation's own name, for the SDK's or GuardedAI's own source), which
/// costs nothing; a type lookup by metadata name walks every referenced assembly's type tables, which on a large
/// project is the largest cost an idle analyzer has.
/// </summary>
internal static class AssemblyGate
{
    /// <summary>Assemblies that declare GuardedAI's attributes (GuardedAI.Runtime, or the GuardedAI package).</summary>
    public static readonly string[] GuardedAI = { "GuardedAI" };

    /// <summary>Assemblies that declare the entry points, wrappers and services of <see cref="EntryPointCatalog"/>.</summary>
    public static readonly string[] LlmLibraries =
    {
        "Microsoft.Extensions.AI", "OpenAI", "Azure.AI.OpenAI", "Anthropic", "Microsoft.Agents.AI", "Microsoft.SemanticKernel",
    };

    /// <summary>Whether the compilation is, or references, an assembly whose name is one of <paramref name="prefixes"/> or starts with one followed by '.'.</summary>
    public static bool References(Compilation compilation, string[] prefixes)
    {
        if (Matches(compilation.AssemblyName, prefixes))
            return true;
        foreach (var identity in compilation.ReferencedAssemblyNames)
        {
            if (Matches(identity.Name, prefixes))
                return true;
        }
        return false;
    }

    private static bool Matches(string? name, string[] prefixes)
    {
        if (name is null)
            return false;
        foreach (var prefix in prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && (name.Length == prefix.Length || name[prefix.Length] == '.'))
                return true;
        }
        return false;
    }
}
