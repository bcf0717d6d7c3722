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
    public static readonly ClientOrigin Guarded = new(OriginKind.Guarded, null, ImmutableArray<ISymbol>.Empty, ImmutableArray<ServiceRow>.Empty, ImmutableArray<Location>.Empty);

    private const string BuiltOn = "is built on ";

    private ClientOrigin(
        OriginKind kind, string? reason, ImmutableArray<ISymbol> members, ImmutableArray<ServiceRow> services, ImmutableArray<Location> unbudgetedBuilds,
        string? via = null)
    {
        Kind = kind;
        Reason = reason;
        Members = members;
        Services = services;
        UnbudgetedBuilds = unbudgetedBuilds;
        Via = via;
    }

    /// <summary>For a deferred wrapper (an agent over an injected client): the inner client's text, named once it is resolved.</summary>
    public string? Via { get; }

    public OriginKind Kind { get; }

    /// <summary>Why the value is not budgeted (for <see cref="OriginKind.Unguarded"/>): a phrase that follows the value's name.</summary>
    public string? Reason { get; }

    /// <summary>Fields and properties whose assignments decide a deferred value.</summary>
    public ImmutableArray<ISymbol> Members { get; }

    /// <summary>The value comes from dependency injection: guarded only if every registration these rows resolve from is.</summary>
    public ImmutableArray<ServiceRow> Services { get; }

    public bool DependsOnServices => !Services.IsEmpty;

    /// <summary><c>ChatClientBuilder.Build()</c> calls whose pipeline lacks UseBudget: where the code fix inserts it.</summary>
    public ImmutableArray<Location> UnbudgetedBuilds { get; }

    public static ClientOrigin Unguarded(string reason) =>
        new(OriginKind.Unguarded, reason, ImmutableArray<ISymbol>.Empty, ImmutableArray<ServiceRow>.Empty, ImmutableArray<Location>.Empty);

    public static ClientOrigin UnbudgetedBuild(string reason, Location? build) =>
        new(OriginKind.Unguarded, reason, ImmutableArray<ISymbol>.Empty, ImmutableArray<ServiceRow>.Empty,
            build is null ? ImmutableArray<Location>.Empty : ImmutableArray.Create(build));

    public static ClientOrigin DependsOn(ISymbol member) =>
        new(OriginKind.Deferred, null, ImmutableArray.Create(member), ImmutableArray<ServiceRow>.Empty, ImmutableArray<Location>.Empty);

    public static ClientOrigin FromServices(ServiceRow service) =>
        new(OriginKind.Deferred, null, ImmutableArray<ISymbol>.Empty, ImmutableArray.Create(service), ImmutableArray<Location>.Empty);

    /// <summary>The same origin with another reason (a wrapper explains itself), keeping the code fix's locations.</summary>
    public ClientOrigin WithReason(string reason) =>
        Kind == OriginKind.Unguarded ? new ClientOrigin(Kind, reason, Members, Services, UnbudgetedBuilds) : this;

    /// <summary>
    /// The origin of a wrapper (an agent, a middleware) over a client whose text is <paramref name="innerText"/>: the same
    /// verdict, with a reason that names the inner client once ("is built on 'chat', which comes from ...").
    /// </summary>
    public ClientOrigin ThroughWrapper(string innerText)
    {
        switch (Kind)
        {
            case OriginKind.Deferred:
                return Via is null ? new ClientOrigin(Kind, Reason, Members, Services, UnbudgetedBuilds, innerText) : this;
            case OriginKind.Unguarded when Reason is not null && !Reason.StartsWith(BuiltOn, System.StringComparison.Ordinal):
                // The innermost wrapper names its client; `agent.AsBuilder().Build()` adds nothing to say.
                var redundant = $"comes from '{innerText}', which ";
                var parameter = $"comes from parameter '{innerText}', which ";
                if (Reason.StartsWith(redundant, System.StringComparison.Ordinal))
                    return WithReason($"{BuiltOn}'{innerText}', which {Reason.Substring(redundant.Length)}");
                if (Reason.StartsWith(parameter, System.StringComparison.Ordinal))
                    return WithReason($"{BuiltOn}parameter '{innerText}', which {Reason.Substring(parameter.Length)}");
                // A name reads well in the message; a whole expression (`new ChatClientBuilder(p).Build()`) only repeats the source.
                return WithReason(IsName(innerText) ? $"{BuiltOn}'{innerText}', which {Reason}" : $"{BuiltOn}a client that {Reason}");
            default:
                return this;
        }
    }

    private static bool IsName(string text)
    {
        foreach (var c in text)
        {
            if (!(char.IsLetterOrDigit(c) || c is '_' or '.' or '@'))
                return false;
        }
        return text.Length > 0;
    }

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
        var services = ImmutableArray<ServiceRow>.Empty;
        if (kind != OriginKind.Unguarded)
        {
            services = first.Services;
            foreach (var service in second.Services)
            {
                if (!services.Contains(service))
                    services = services.Add(service);
            }
        }
        var via = kind == OriginKind.Deferred && first.Via == second.Via ? first.Via : null;
        return new ClientOrigin(kind, reason, members, services, first.UnbudgetedBuilds.AddRange(second.UnbudgetedBuilds), via);
    }
}
