using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>Whether a client value is budgeted: proven guarded, proven not, or waiting on facts only the whole compilation has.</summary>
internal enum OriginKind
{
    Guarded,
    Deferred,
    Unguarded,
}

/// <summary>
/// Where a client value comes from, as far as GAI001 can tell. A value is guarded only when every way it can be
/// assigned is guarded; <see cref="OriginKind.Deferred"/> values depend on fields, properties or DI registrations that are
/// resolved at the end of the compilation.
/// </summary>
internal sealed class ClientOrigin
{
    public static readonly ClientOrigin Guarded = new(OriginKind.Guarded, null, ImmutableArray<ISymbol>.Empty, false, ImmutableArray<Location>.Empty);

    public static readonly ClientOrigin FromServices = new(OriginKind.Deferred, null, ImmutableArray<ISymbol>.Empty, true, ImmutableArray<Location>.Empty);

    private ClientOrigin(OriginKind kind, string? reason, ImmutableArray<ISymbol> members, bool fromServices, ImmutableArray<Location> unbudgetedBuilds)
    {
        Kind = kind;
        Reason = reason;
        Members = members;
        DependsOnServices = fromServices;
        UnbudgetedBuilds = unbudgetedBuilds;
    }

    public OriginKind Kind { get; }

    /// <summary>Why the value is not budgeted (for <see cref="OriginKind.Unguarded"/>): a phrase that follows the value's name.</summary>
    public string? Reason { get; }

    /// <summary>Fields and properties whose assignments decide a deferred value.</summary>
    public ImmutableArray<ISymbol> Members { get; }

    /// <summary>The value comes from dependency injection: guarded only if every IChatClient registration is.</summary>
    public bool DependsOnServices { get; }

    /// <summary><c>ChatClientBuilder.Build()</c> calls whose pipeline lacks UseBudget: where the code fix inserts it.</summary>
    public ImmutableArray<Location> UnbudgetedBuilds { get; }

    public static ClientOrigin Unguarded(string reason) =>
        new(OriginKind.Unguarded, reason, ImmutableArray<ISymbol>.Empty, false, ImmutableArray<Location>.Empty);

    public static ClientOrigin UnbudgetedBuild(string reason, Location? build) =>
        new(OriginKind.Unguarded, reason, ImmutableArray<ISymbol>.Empty, false,
            build is null ? ImmutableArray<Location>.Empty : ImmutableArray.Create(build));

    public static ClientOrigin DependsOn(ISymbol member) =>
        new(OriginKind.Deferred, null, ImmutableArray.Create(member), false, ImmutableArray<Location>.Empty);

    /// <summary>The origin of a value that may be any of <paramref name="first"/> and <paramref name="second"/>.</summary>
    public static ClientOrigin Both(ClientOrigin first, ClientOrigin second)
    {
        if (first.Kind == OriginKind.Guarded)
            return second;
        if (second.Kind == OriginKind.Guarded)
            return first;

        var kind = first.Kind == OriginKind.Unguarded || second.Kind == OriginKind.Unguarded ? OriginKind.Unguarded : OriginKind.Deferred;
        var reason = first.Kind == OriginKind.Unguarded ? first.Reason : second.Reason;
        var members = kind == OriginKind.Unguarded ? ImmutableArray<ISymbol>.Empty : first.Members.AddRange(second.Members);
        var services = kind != OriginKind.Unguarded && (first.DependsOnServices || second.DependsOnServices);
        return new ClientOrigin(kind, reason, members, services, first.UnbudgetedBuilds.AddRange(second.UnbudgetedBuilds));
    }
}
