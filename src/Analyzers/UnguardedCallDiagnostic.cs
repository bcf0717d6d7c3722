using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>The GAI001 diagnostic of a call: its one-line message, and the <c>.Build</c> locations the code fix budgets.</summary>
internal static class UnguardedCallDiagnostic
{
    public static Diagnostic Create(DiagnosticDescriptor descriptor, PendingCall call, ClientOrigin origin)
    {
        var reason = MessageText.OneLine(origin.Reason ?? "is not a budgeted client");
        if (call.Receiver is not null)
        {
            // "'_plain' comes from '_plain', which is built ..." says the name twice: drop the first hop.
            var redundant = $"comes from '{call.Receiver}', which ";
            if (reason.StartsWith(redundant, StringComparison.Ordinal))
                reason = reason.Substring(redundant.Length);
            reason = $"'{call.Receiver}' {reason}";
        }
        var builds = origin.UnbudgetedBuilds.Where(l => l.IsInSource).Distinct().ToImmutableArray();
        var properties = builds.IsEmpty
            ? ImmutableDictionary<string, string?>.Empty
            : ImmutableDictionary<string, string?>.Empty.Add(UnguardedCallSession.CanAddUseBudgetProperty, "true");
        return Diagnostic.Create(descriptor, call.Location, builds, properties, MessageText.OneLine(call.Method), reason);
    }

    public static string DescribeMethod(IMethodSymbol method)
    {
        var definition = method.ReducedFrom ?? method;
        var owner = definition.IsExtensionMethod && definition.Parameters.Length > 0 ? definition.Parameters[0].Type.Name : definition.ContainingType.Name;
        return owner + "." + definition.Name;
    }

    public static string? DescribeReceiver(IOperation? receiver) =>
        receiver is null ? null : MessageText.Describe(OperationNavigation.Unwrap(receiver).Syntax);

    /// <summary>"is a ChatClient (OpenAI), which no GuardedAI budget wraps; call it as an IChatClient ...": the receiver's origin does not matter.</summary>
    public static string DescribeSdkClient(IOperation receiver, string advice)
    {
        var type = OperationNavigation.Unwrap(receiver).Type ?? receiver.Type;
        var name = type?.Name ?? "client";
        var assembly = type?.ContainingAssembly?.Name;
        var from = string.IsNullOrEmpty(assembly) ? "" : $" ({assembly})";
        return $"is {Article(name)} {name}{from}, which no GuardedAI budget wraps; {advice}";
    }

    private static string Article(string word) => word.Length > 0 && "AEIOU".IndexOf(word[0]) >= 0 ? "an" : "a";
}
